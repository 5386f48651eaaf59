"""The monthly returns' forms: the entry form, the workflow's reason, the Excel template,
upload and export choices, and the completeness and aggregates filters.

The portal's entry page and the Excel import both validate through `ReturnForm` (one field per
indicator in force, the checks in one place), so a figure is judged the same way however it
arrives.
"""

import datetime
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from chunan_community.forms import PortalForm
from chunan_community.months import add_months, month_start, months_between, parse_month
from communities.access import CLERK, COUNTY, TOWNSHIP, access_for
from communities.forms import CommunityField, TownshipChoiceField
from communities.models import (
    Community,
    Indicator,
    IndicatorRule,
    Ratio,
    ReturnStatus,
    Township,
)
from communities.returns.checks import VALUE_LIMIT, recent_median
from communities.returns.reports import (
    Counted,
    Grain,
    Level,
    bucket_of,
    buckets,
    widen,
)

DEFAULT_MONTHS = 12
MAX_GRID_MONTHS = 36
MAX_AGGREGATE_MONTHS = 120
LEVEL_LABELS = {
    Level.TOTAL: gettext_lazy("Total only"),
    Level.TOWNSHIP: gettext_lazy("Per township"),
    Level.COMMUNITY: gettext_lazy("Per community"),
}
LEVELS_BY_ROLE = {
    COUNTY: (Level.TOWNSHIP, Level.TOTAL, Level.COMMUNITY),
    TOWNSHIP: (Level.COMMUNITY, Level.TOTAL),
    CLERK: (Level.COMMUNITY,),
}


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


class MonthRangeMixin:
    """Checks month_from ≤ month_to ≤ this month and the span; sets `first` and `last`."""

    max_months = MAX_GRID_MONTHS

    def check_range(self, cleaned, first, last):
        this_month = month_start(self.today)
        if last > this_month:
            self.add_error("month_to", _("Choose this month or an earlier one."))
        elif first > last:
            self.add_error("month_from", _("The first month must not be after the last one."))
        elif len(months_between(first, last)) > self.max_months:
            self.add_error(
                "month_from",
                _("Choose at most %(count)s months.") % {"count": self.max_months},
            )
        else:
            cleaned["first"], cleaned["last"] = first, last


class CompletenessForm(MonthRangeMixin, PortalForm):
    months = forms.IntegerField(
        label=gettext_lazy("Last months"),
        min_value=1,
        max_value=MAX_GRID_MONTHS,
        required=False,
        help_text=gettext_lazy("Used when no first and last month are given."),
    )
    month_from = MonthField(label=gettext_lazy("First month"))
    month_to = MonthField(label=pgettext_lazy("end of a range of months", "Last month"))
    township = TownshipChoiceField(
        label=gettext_lazy("Township"),
        queryset=Township.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=gettext_lazy("All townships"),
    )

    def __init__(self, *args, access, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        if not access.is_county:
            del self.fields["township"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        count = cleaned.get("months") or DEFAULT_MONTHS
        first, last = cleaned.get("month_from"), cleaned.get("month_to")
        if first and not last:
            last = min(add_months(first, count - 1), month_start(self.today))
        last = last or month_start(self.today)
        first = first or add_months(last, 1 - count)
        self.check_range(cleaned, first, last)
        return cleaned

    def window(self):
        """(first, last) month asked for, or the last DEFAULT_MONTHS months if invalid."""
        if self.is_valid():
            return self.cleaned_data["first"], self.cleaned_data["last"]
        last = month_start(self.today)
        return add_months(last, 1 - DEFAULT_MONTHS), last


def with_defaults(data, defaults: dict) -> QueryDict:
    """`data` (a QueryDict or a dict) over `defaults`: a parameter that is missing or empty
    takes its default (a list for a multiple choice), every value of one sent kept."""
    merged = QueryDict(mutable=True)
    for key, value in defaults.items():
        merged.setlist(key, value if isinstance(value, list) else [value])
    for key in data:
        values = data.getlist(key) if isinstance(data, QueryDict) else [data[key]]
        values = [value for value in values if value != ""]
        if values:
            merged.setlist(key, values)
    return merged


class AreasPeriodsForm(MonthRangeMixin, PortalForm):
    """What a report on the returns' figures adds up: the areas (those the user's role may
    compare), the months and their grain, which returns count. The filter of the aggregates
    and of the cross-indicator table, each adding what it shows."""

    level = forms.ChoiceField(label=gettext_lazy("Areas"))
    township = TownshipChoiceField(
        label=gettext_lazy("Township"),
        queryset=Township.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=gettext_lazy("Choose a township"),
        help_text=gettext_lazy("For the comparison per community."),
    )
    grain = forms.ChoiceField(label=gettext_lazy("Period"), choices=Grain.CHOICES)
    month_from = MonthField(label=gettext_lazy("First month"))
    month_to = MonthField(label=pgettext_lazy("end of a range of months", "Last month"))
    counted = forms.ChoiceField(label=gettext_lazy("Returns counted"), choices=Counted.CHOICES)

    max_months = MAX_AGGREGATE_MONTHS

    def __init__(self, data, *, access, today, defaults: dict):
        self.access, self.today = access, today
        levels = LEVELS_BY_ROLE[access.role]
        defaults = {"level": levels[0], "counted": Counted.SUBMITTED, **defaults}
        # Always bound: an empty query shows the defaults, and any parameter overrides one.
        super().__init__(with_defaults(data, defaults))
        self.fields["level"].choices = [(level, LEVEL_LABELS[level]) for level in levels]
        if not access.is_county:
            del self.fields["township"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        # Empty months were replaced by the defaults in __init__, so both are here.
        first, last = widen(cleaned["month_from"], cleaned["month_to"], cleaned["grain"])
        # A quarter or year still running ends this month.
        last = min(last, month_start(self.today))
        self.check_range(cleaned, first, last)
        county_per_community = self.access.is_county and cleaned["level"] == Level.COMMUNITY
        if county_per_community and cleaned.get("township") is None:
            self.add_error("township", _("Choose the township whose communities to compare."))
        return cleaned

    @property
    def township_id(self):
        if self.access.is_county:
            township = self.cleaned_data.get("township")
            return township.pk if township else None
        return self.access.township_id


class AggregatesForm(AreasPeriodsForm):
    indicator = forms.ChoiceField(label=gettext_lazy("Indicator"))

    field_order = ["indicator"]

    def __init__(self, data, *, access, today):
        self.indicators, self.indicator_by_code = indicator_choices()
        last = month_start(today)
        defaults = {
            "indicator": self.indicators[0][1][0][0] if self.indicators else "",
            "grain": Grain.MONTH,
            "month_from": f"{add_months(last, 1 - DEFAULT_MONTHS):%Y-%m}",
            "month_to": f"{last:%Y-%m}",
        }
        super().__init__(data, access=access, today=today, defaults=defaults)
        self.fields["indicator"].choices = self.indicators

    def clean(self):
        cleaned = super().clean()
        if "indicator" in cleaned:
            cleaned["indicator_obj"] = self.indicator_by_code[cleaned["indicator"]]
        return cleaned


COMPARE_CHOICES = (("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No")))
MAX_PIVOT_PERIODS = 24


class PivotForm(AreasPeriodsForm):
    """The cross-indicator table's filter: groups of indicators and single ones (the table
    shows every indicator of the groups ticked and each one ticked), the areas, the whole
    periods and whether to set each beside the same period a year earlier.

    Defaults: the first group, by year, the last complete year, compared.
    """

    groups = forms.MultipleChoiceField(
        label=gettext_lazy("Indicator groups"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    indicators = forms.MultipleChoiceField(
        label=gettext_lazy("Single indicators"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Added to the groups ticked; derived indicators at the end."),
    )
    compare = forms.ChoiceField(
        label=gettext_lazy("Compare with the year before"), choices=COMPARE_CHOICES
    )

    field_order = ["groups", "indicators"]

    def __init__(self, data, *, access, today):
        # Not `self.indicators`: a template reads `form.indicators` as the field.
        self.measure_choices, self.indicator_by_code = indicator_choices()
        self.group_members = group_members(self.indicator_by_code)
        year = today.year - 1
        defaults = {
            "grain": Grain.YEAR,
            "month_from": f"{year}-01",
            "month_to": f"{year}-12",
            "compare": "yes",
        }
        sent = with_defaults(data, {})
        if self.group_members and "groups" not in sent and "indicators" not in sent:
            defaults["groups"] = [next(iter(self.group_members))]
        super().__init__(data, access=access, today=today, defaults=defaults)
        self.fields["groups"].choices = [
            (code, group.local_name) for code, (group, _codes) in self.group_members.items()
        ]
        self.fields["indicators"].choices = self.measure_choices

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        chosen = set(cleaned["indicators"]).union(
            *(self.group_members[code][1] for code in cleaned["groups"])
        )
        if not chosen:
            self.add_error("indicators", _("Tick a group of indicators or an indicator."))
        # Each group's indicators, then its derived indicators; any other derived ones last.
        order = [value for _group, values in self.group_members.values() for value in values]
        order += [value for value in self.indicator_by_code if value not in set(order)]
        cleaned["measures"] = [self.indicator_by_code[value] for value in order if value in chosen]
        cleaned["compare"] = cleaned["compare"] == "yes"
        self._whole_periods(cleaned)
        return cleaned

    def _whole_periods(self, cleaned):
        """Leave out a period still running: its months so far against a whole period a
        year earlier would make any flow look fallen."""
        if "last" not in cleaned:
            return
        grain = cleaned["grain"]
        running = bucket_of(month_start(self.today), grain)
        cleaned["last"] = min(cleaned["last"], add_months(running, -1))
        if cleaned["first"] > cleaned["last"]:
            self.add_error(
                "month_to",
                _("Choose a period that has ended: the table compares whole periods only."),
            )
        elif len(buckets(cleaned["first"], cleaned["last"], grain)) > MAX_PIVOT_PERIODS:
            self.add_error(
                "month_from",
                _(
                    "Choose at most %(count)s periods: a shorter range, or quarters or years "
                    "rather than months."
                )
                % {"count": MAX_PIVOT_PERIODS},
            )


def group_members(by_code: dict) -> dict:
    """Group code → (the group, the choice values of its indicators and derived indicators),
    in the catalogue's order, from indicator_choices' objects (no query)."""
    members, codes = {}, {}
    for value, measure in by_code.items():
        if isinstance(measure, Indicator):
            group = measure.group
            members.setdefault(group.code, (group, []))[1].append(value)
            codes[group.pk] = group.code
    for value, measure in by_code.items():
        if not isinstance(measure, Indicator) and measure.group_id in codes:
            members[codes[measure.group_id]][1].append(value)
    return members


class TemplateForm(PortalForm):
    month = MonthField(label=_("Month"), required=False)

    def clean_month(self):
        period = self.cleaned_data["month"] or last_month()
        if period > month_start(timezone.localdate()):
            raise ValidationError(_("That month has not begun yet."), code="future")
        return period


class UploadForm(PortalForm):
    file = forms.FileField(
        label=_("Filled-in workbook (.xlsx)"),
        allow_empty_file=True,  # refused by the upload checks, with their message
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument"}
        ),
    )


class ExportForm(PortalForm):
    month_from = MonthField(label=_("From month"), required=False)
    month_to = MonthField(label=_("To month"), required=False)
    township = forms.ModelChoiceField(
        label=_("Township"),
        queryset=Township.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=_("All townships"),
    )
    # A select up to forms.SELECT_MAX communities in scope, a code or name beyond; a clerk's
    # one community needs no picking (the field is hidden, a code in the URL still checked).
    community = CommunityField(
        label=_("Community"),
        search=False,
        required=False,
        empty_label=_("All communities"),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("All statuses")), *ReturnStatus.choices],
        required=False,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        access = access_for(user)
        self.fields["township"].queryset = Township.objects.filter(access.township_q())
        self.fields["township"].label_from_instance = lambda township: township.local_name
        if not access.is_county:
            # One township: nothing to pick; a township in the URL is still checked.
            self.fields["township"].widget = forms.HiddenInput()
        self.fields["community"].set_scope(Community.objects.visible_to(user))

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("month_from"), cleaned.get("month_to")
        if first and last and first > last:
            self.add_error("month_to", _("The last month comes before the first."))
        return cleaned


# A derived indicator's value in the aggregates' indicator choice (`?indicator=ratio:<code>`):
# ratios are a table of their own, whose codes may repeat an indicator's; a code is a slug,
# which never holds ":", so the prefix keeps the two apart without a rule across tables.
RATIO_PREFIX = "ratio:"


def ratio_choice(ratio) -> str:
    """The indicator choice's value for a derived indicator: "ratio:reemployment_rate"."""
    return f"{RATIO_PREFIX}{ratio.code}"


def indicator_choices():
    """(choices grouped by indicator group for <optgroup>s, then the derived indicators in a
    group of their own; the Indicator or Ratio of each choice's value): two queries."""
    groups, by_code = {}, {}
    for indicator in Indicator.objects.select_related("group"):
        label = indicator.local_name + (f" ({indicator.unit})" if indicator.unit else "")
        groups.setdefault(indicator.group.local_name, []).append((indicator.code, label))
        by_code[indicator.code] = indicator
    choices = list(groups.items())
    ratios = []
    for ratio in Ratio.objects.select_related("numerator", "denominator"):
        label = ratio.local_name + (f" ({ratio.unit})" if ratio.unit else "")
        ratios.append((ratio_choice(ratio), label))
        by_code[ratio_choice(ratio)] = ratio
    if ratios:
        choices.append((_("Derived indicators"), ratios))
    return choices, by_code


def last_month() -> datetime.date:
    return add_months(month_start(timezone.localdate()), -1)
