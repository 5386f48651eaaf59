"""Forms of re-employment and social security: input and its format only; the rules are in
employment_domain."""

from django import forms
from django.utils.translation import gettext_lazy as _

from chunan_community.forms import PortalForm
from communities.returns.forms import MonthField
from services.households_forms import date_field
from services.models import MONEY

NOT_NEGATIVE = {"min_value": _("Enter 0 or more.")}


def _count(label) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=0,
        max_value=1_000_000,
        error_messages=NOT_NEGATIVE,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class RecordForm(PortalForm):
    @classmethod
    def initial_for(cls, instance) -> dict:
        return {name: getattr(instance, name) for name in cls.base_fields}


class TrainingClassForm(RecordForm):
    name = forms.CharField(label=_("Name of the class"), max_length=100)
    starts_on = date_field(_("Starts on"))
    ends_on = date_field(_("Ends on"))
    trainees = _count(_("Trainees"))
    completions = _count(_("Completed"))


class ProcessingProjectForm(RecordForm):
    name = forms.CharField(label=_("Name of the project"), max_length=100)
    year = forms.IntegerField(
        label=_("Year"),
        min_value=1949,
        max_value=2100,
        error_messages={
            "min_value": _("Enter a year from 1949 to 2100."),
            "max_value": _("Enter a year from 1949 to 2100."),
        },
    )
    participants = _count(_("Participants"))
    income_yuan = forms.DecimalField(
        label=_("Income (yuan)"),
        min_value=0,
        error_messages={"min_value": _("Enter the income as 0 or more.")},
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        **MONEY,
    )


class ReemploymentOutcomeForm(RecordForm):
    month = MonthField(label=_("Month"), required=True)
    reemployed = _count(_("People re-employed"))


class YearForm(PortalForm):
    """The year the overview shows; all years when none is chosen."""

    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, years, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", _("All years")), *((y, y) for y in years)]
