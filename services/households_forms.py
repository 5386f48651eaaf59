"""Forms of paired assistance: input and its format only; the rules are in households_domain."""

import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from chunan_community.forms import PortalForm
from chunan_community.months import add_months
from communities.returns.forms import MonthField
from services.models import HOURS, AssistedHousehold, HelpKind

# Digits, with spaces or dashes between groups and an optional leading +: 0571-6501 2345.
phone_validator = RegexValidator(
    r"^\+?[\d\s-]*\d[\d\s-]*$",
    _("Enter the phone number with digits only; spaces, dashes and a leading + are allowed."),
    code="invalid_phone",
)


class DateInput(forms.DateInput):
    """The browser's date picker; the value goes out as YYYY-MM-DD, as the picker expects."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def date_field(label, **kwargs) -> forms.DateField:
    kwargs.setdefault(
        "error_messages", {"invalid": _("Enter a date as YYYY-MM-DD, e.g. 2026-10-08.")}
    )
    return forms.DateField(label=label, widget=DateInput, **kwargs)


class HouseholdForm(PortalForm):
    household_name = forms.CharField(label=_("Household name"), max_length=50)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=20,
        required=False,
        validators=[phone_validator],
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    category = forms.ChoiceField(
        label=_("Category"),
        choices=[("", _("Choose a category")), *AssistedHousehold.Category.choices],
        error_messages={"required": _("Choose the household's category.")},
    )
    help_hardship = forms.BooleanField(label=HelpKind.HARDSHIP.label, required=False)
    help_medical = forms.BooleanField(label=HelpKind.MEDICAL.label, required=False)
    help_schooling = forms.BooleanField(label=HelpKind.SCHOOLING.label, required=False)
    active = forms.BooleanField(
        label=_("Active (still receiving help)"), required=False, initial=True
    )

    HELP_FIELDS = ("help_hardship", "help_medical", "help_schooling")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household_name"].error_messages["required"] = _("Enter the household's name.")

    @property
    def help_fields(self):
        return [self[name] for name in self.HELP_FIELDS]

    @property
    def other_fields(self):
        return [self[name] for name in ("household_name", "phone", "category")]

    @classmethod
    def initial_for(cls, household: AssistedHousehold) -> dict:
        return {name: getattr(household, name) for name in cls.base_fields}


class VolunteerChoiceField(forms.ModelChoiceField):
    """The community's volunteers by full name: this form is for its clerk and the county."""

    def label_from_instance(self, obj):
        if obj.active:
            return obj.name
        return _("%(name)s (inactive)") % {"name": obj.name}


class VisitForm(PortalForm):
    visited_on = date_field(_("Visit date"))
    kind = forms.ChoiceField(label=_("Help given"), choices=HelpKind.choices)
    by_volunteer = VolunteerChoiceField(
        label=_("Volunteer"),
        queryset=None,
        required=False,
        empty_label=_("No volunteer"),
    )
    hours = forms.DecimalField(
        label=_("Hours"),
        min_value=0,
        initial=0,
        error_messages={"min_value": _("Enter the hours as 0 or more.")},
        widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
        **HOURS,
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=200,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, volunteers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["by_volunteer"].queryset = volunteers


class PairingForm(PortalForm):
    """A new helper: one co-building unit (those paired with the community listed first)
    or one volunteer of the community."""

    co_building_unit = forms.ChoiceField(label=_("Co-building unit"), required=False)
    volunteer = VolunteerChoiceField(
        label=_("or a volunteer"),
        queryset=None,
        required=False,
        empty_label=_("No volunteer"),
    )
    started_on = date_field(_("Paired since"))

    def __init__(self, *args, paired_units, other_units, volunteers, **kwargs):
        kwargs.setdefault("prefix", "pair")
        super().__init__(*args, **kwargs)
        self._units = {str(unit.pk): unit for unit in [*paired_units, *other_units]}
        choices = [("", _("No unit"))]
        if paired_units:
            choices.append(
                (
                    _("Paired with this community"),
                    [(str(unit.pk), unit.name) for unit in paired_units],
                )
            )
        if other_units:
            choices.append((_("Other units"), [(str(unit.pk), unit.name) for unit in other_units]))
        self.fields["co_building_unit"].choices = choices
        self.fields["volunteer"].queryset = volunteers

    def clean_co_building_unit(self):
        value = self.cleaned_data["co_building_unit"]
        return self._units.get(value) if value else None


class PairingEndForm(PortalForm):
    ended_on = date_field(_("Paired until"))


class HouseholdFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Full name"),
        method="search",
        help_text=_("The full name or a part of it."),
    )
    category = django_filters.ChoiceFilter(
        label=_("Category"),
        choices=AssistedHousehold.Category.choices,
        empty_label=_("All categories"),
    )
    help = django_filters.ChoiceFilter(
        label=_("Help needed"),
        choices=HelpKind.choices,
        method="needs_help",
        empty_label=_("Any help"),
    )
    active = django_filters.ChoiceFilter(
        label=_("Active"),
        choices=[("yes", _("Active")), ("no", _("Inactive"))],
        method="is_active",
        empty_label=_("Active and inactive"),
    )

    class Meta:
        model = AssistedHousehold
        fields = ["q", "category", "help", "active"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(household_name__icontains=value) if value else queryset

    def needs_help(self, queryset, name, value):
        return queryset.filter(**{f"help_{value}": True})

    def is_active(self, queryset, name, value):
        return queryset.filter(active=value == "yes")


class VisitFilterForm(PortalForm):
    month = MonthField(label=_("Month"))
    kind = forms.ChoiceField(
        label=_("Help given"),
        choices=[("", _("All kinds")), *HelpKind.choices],
        required=False,
    )

    def visits(self, queryset, default_month):
        """The visits of the chosen month (the default one when none is given) and kind."""
        month = self.cleaned_data.get("month") or default_month
        queryset = queryset.filter(visited_on__gte=month, visited_on__lt=add_months(month, 1))
        if self.cleaned_data.get("kind"):
            queryset = queryset.filter(kind=self.cleaned_data["kind"])
        return month, queryset
