"""The monthly return's entry form: one field per active indicator, the checks in one place.

The portal's entry page and the Excel import both validate through `ReturnForm`, so a
figure is judged the same way however it arrives.
"""

import datetime
from decimal import Decimal

from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from chunan_community.forms import PortalForm
from chunan_community.months import parse_month
from communities.models import Indicator, IndicatorRule
from communities.returns.checks import VALUE_LIMIT, recent_median


def value_field_name(indicator) -> str:
    return f"v_{indicator.code}"


def comment_field_name(indicator) -> str:
    return f"c_{indicator.code}"


class ReturnForm(PortalForm):
    """Figures for one community and month.

    indicators: the indicators in force that month, in display order.
    rules: the cross-field rules among them.
    previous: indicator id → last month's value (shown beside each field).
    recent: indicator id → the values of the recent months (for the far-from-usual warning).
    submitting: required figures and warning comments are demanded only on submission.
    """

    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(
        self,
        data=None,
        *,
        indicators: list[Indicator],
        rules: list[IndicatorRule] = (),
        previous: dict | None = None,
        recent: dict | None = None,
        submitting: bool = False,
        **kwargs,
    ):
        super().__init__(data, **kwargs)
        self.indicators = list(indicators)
        self.rules = list(rules)
        self.previous = previous or {}
        self.recent = recent or {}
        self.submitting = submitting
        self.warnings: dict[str, str] = {}
        for indicator in self.indicators:
            self.fields[value_field_name(indicator)] = self._value_field(indicator)
            self.fields[comment_field_name(indicator)] = forms.CharField(
                label=_("Comment on %(indicator)s") % {"indicator": indicator.local_name},
                max_length=300,
                required=False,
            )

    @staticmethod
    def _value_field(indicator):
        limits = {
            "min_value": indicator.minimum if indicator.minimum is not None else -VALUE_LIMIT,
            "max_value": indicator.maximum if indicator.maximum is not None else VALUE_LIMIT,
        }
        options = {
            "label": indicator.local_name,
            "required": False,
            "help_text": indicator.help_text,
            "localize": False,
        }
        if indicator.value_type == Indicator.ValueType.INTEGER:
            field = forms.IntegerField(
                **options, **{k: int(v) for k, v in limits.items()}, widget=forms.NumberInput
            )
        else:
            field = forms.DecimalField(
                **options, **limits, max_digits=14, decimal_places=2, widget=forms.NumberInput
            )
        field.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})
        return field

    def value_of(self, indicator):
        value = self.cleaned_data.get(value_field_name(indicator))
        return None if value is None else Decimal(value)

    def clean(self):
        cleaned = super().clean()
        by_id = {indicator.pk: indicator for indicator in self.indicators}
        if self.submitting:
            for indicator in self.indicators:
                name = value_field_name(indicator)
                if indicator.required and cleaned.get(name) is None and name not in self.errors:
                    self.add_error(
                        name, _("Enter a figure before submitting (0 if there was none).")
                    )
        for rule in self.rules:
            left, right = by_id.get(rule.left_id), by_id.get(rule.right_id)
            if left is None or right is None:
                continue
            left_value, right_value = self.value_of(left), self.value_of(right)
            if left_value is None or right_value is None or rule.holds(left_value, right_value):
                continue
            message = rule.message or _(
                "%(left)s must be %(operator)s %(right)s (%(right_value)s). Check both figures."
            ) % {
                "left": left.local_name,
                "operator": rule.get_operator_display(),
                "right": right.local_name,
                "right_value": number_format(right_value),
            }
            self.add_error(value_field_name(left), message)
        for indicator in self.indicators:
            name = value_field_name(indicator)
            if name in self.errors:
                continue
            median = recent_median(self.value_of(indicator), self.recent.get(indicator.pk, []))
            if median is None:
                continue
            self.warnings[name] = _(
                "Far from the recent months (usually about %(median)s). Check the figure; "
                "if it is right, say why in the comment."
            ) % {"median": number_format(median.normalize())}
            comment = comment_field_name(indicator)
            if self.submitting and not cleaned.get(comment, "").strip():
                self.add_error(
                    comment,
                    _("%(indicator)s is far from the recent months: explain it to submit.")
                    % {"indicator": indicator.local_name},
                )
        return cleaned

    def values(self) -> dict[int, Decimal | None]:
        return {indicator.pk: self.value_of(indicator) for indicator in self.indicators}

    def comments(self) -> dict[int, str]:
        return {
            indicator.pk: self.cleaned_data.get(comment_field_name(indicator), "").strip()
            for indicator in self.indicators
        }

    def rows(self, noted=frozenset()):
        """(indicator, value field, comment field, last month's value, warning) per indicator.

        noted: names of the value fields shown with what the service records say
        (communities.returns.prefill), in an element with the id `<field id>_records`.
        """
        for indicator in self.indicators:
            name = value_field_name(indicator)
            if name in self.warnings or name in noted:
                # Screen readers read the warning and the records' figure with the field
                # (Django links only the help text and the errors).
                bound = self[name]
                described = [
                    f"{bound.auto_id}_{suffix}"
                    for suffix, present in (
                        ("helptext", indicator.help_text),
                        ("error", bound.errors),
                        ("warning", name in self.warnings),
                        ("records", name in noted),
                    )
                    if present
                ]
                bound.field.widget.attrs["aria-describedby"] = " ".join(described)
            yield {
                "indicator": indicator,
                "field": self[name],
                "comment": self[comment_field_name(indicator)],
                "previous": self.previous.get(indicator.pk),
                "warning": self.warnings.get(name),
            }


class MonthInput(forms.TextInput):
    input_type = "month"


class MonthField(forms.CharField):
    """A month typed as YYYY-MM (what <input type="month"> sends); cleans to its first day."""

    widget = MonthInput
    default_error_messages = {"invalid": _("Enter a month as YYYY-MM, e.g. 2026-10.")}

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"placeholder": "2026-10", "pattern": r"\d{4}-\d{2}", "maxlength": "7"}
        )

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        month = parse_month(value)
        if month is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return month

    def prepare_value(self, value):
        return f"{value:%Y-%m}" if isinstance(value, datetime.date) else value


class ReturnReasonForm(PortalForm):
    """The reason of a workflow step; required to send a return back or to reopen it."""

    reason = forms.CharField(
        label=_("Reason"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, data=None, *, reason_required: bool = False, label=None, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["reason"].required = reason_required
        if label:
            self.fields["reason"].label = label
        if reason_required:
            self.fields["reason"].error_messages["required"] = _(
                "Give a reason: the community sees it with the return."
            )
