"""The reports' forms: what to build (a year, a township, a month or quarter), how to publish
it, and the public list's filter.

The choice forms are always bound (an empty query shows the default report: last year, the
last closed quarter), so a page opens on a report and a bad parameter is an error on it.
"""

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from chunan_community.forms import PortalForm
from communities.access import COUNTY, TOWNSHIP
from communities.forms import TownshipChoiceField
from communities.models import Township
from reports.circular import circular_periods
from reports.models import Kind

# The first year a report may be asked for: the county's programme began in 2008.
FIRST_YEAR = 2008


class ReportChoiceForm(PortalForm):
    """What report to build. Cleans to `first_month`, `last_month` and `township` (None: the
    county's)."""

    kind: str

    def __init__(self, data, *, access, today):
        self.access, self.today = access, today
        defaults = self.defaults()
        super().__init__({**defaults, **{k: v for k, v in data.items() if v != ""}})

    def defaults(self) -> dict:
        return {}


class YearForm(ReportChoiceForm):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int)

    def __init__(self, data, *, access, today):
        super().__init__(data, access=access, today=today)
        self.fields["year"].choices = [
            (year, str(year)) for year in range(today.year, FIRST_YEAR - 1, -1)
        ]

    def defaults(self):
        # The last complete year: in January the year just ended.
        return {"year": str(self.today.year - 1)}

    def clean(self):
        cleaned = super().clean()
        year = cleaned.get("year")
        if year is not None:
            cleaned["first_month"] = datetime.date(year, 1, 1)
            cleaned["last_month"] = datetime.date(year, 12, 1)
        cleaned.setdefault("township", None)
        return cleaned


class YearlyForm(YearForm):
    """The yearly report: a year, and for county staff the county or one township; township
    staff always get their own township's."""

    kind = Kind.YEARLY
    township = TownshipChoiceField(
        label=_("Area"),
        queryset=Township.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("The whole county"),
    )

    def __init__(self, data, *, access, today):
        super().__init__(data, access=access, today=today)
        if access.role != COUNTY:
            del self.fields["township"]

    def clean(self):
        cleaned = super().clean()
        if self.access.role == TOWNSHIP:
            cleaned["township"] = Township.objects.get(pk=self.access.township_id)
        return cleaned


class BulletinForm(YearForm):
    kind = Kind.BULLETIN


class CircularForm(ReportChoiceForm):
    kind = Kind.CIRCULAR
    period = forms.ChoiceField(label=_("Month or quarter"))

    def __init__(self, data, *, access, today):
        self.periods = {value: (first, last) for value, _l, first, last in circular_periods(today)}
        super().__init__(data, access=access, today=today)
        choices = circular_periods(today)
        self.fields["period"].choices = [
            (
                _("Quarters"),
                [(value, label) for value, label, first, last in choices if first != last],
            ),
            (
                _("Months"),
                [(value, label) for value, label, first, last in choices if first == last],
            ),
        ]

    def defaults(self):
        return {"period": next(iter(self.periods))}

    def clean(self):
        cleaned = super().clean()
        period = cleaned.get("period")
        if period:
            cleaned["first_month"], cleaned["last_month"] = self.periods[period]
        cleaned["township"] = None
        return cleaned


CHOICE_FORMS = {Kind.YEARLY: YearlyForm, Kind.BULLETIN: BulletinForm, Kind.CIRCULAR: CircularForm}


class PublishForm(PortalForm):
    number = forms.CharField(
        label=_("Document number"),
        max_length=60,
        required=False,
        help_text=_("Optional: the reference the office gives the document."),
    )
    published_on = forms.DateField(
        label=_("Publish on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("The public sees the report from this day: today or later."),
    )
    note = forms.CharField(
        label=_("Correction note"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Required when the report was published before: say what this version corrects."
        ),
    )

    def __init__(self, data=None, *, today, **kwargs):
        self.today = today
        super().__init__(data, initial={"published_on": today}, **kwargs)

    def clean_published_on(self):
        day = self.cleaned_data["published_on"]
        if day < self.today:
            raise forms.ValidationError(_("Choose today or a later day."))
        return day


class PublicFilter(PortalForm):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[("", _("All kinds")), *Kind.choices], required=False
    )
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False, empty_value=None)

    def __init__(self, data, *, years):
        super().__init__(data)
        self.fields["year"].choices = [("", _("All years")), *[(y, str(y)) for y in years]]
