"""The services reports' filters: the township (county staff) and the months of the hours report."""

from django.utils.translation import gettext_lazy, pgettext_lazy

from chunan_community.forms import PortalForm
from chunan_community.months import add_months, month_start
from communities.forms import TownshipChoiceField
from communities.models import Township
from communities.returns.forms import DEFAULT_MONTHS, MonthField, MonthRangeMixin

MAX_HOURS_MONTHS = 36


class ScopeForm(PortalForm):
    """The township filter, for county staff; the others see their own scope."""

    township = TownshipChoiceField(
        label=gettext_lazy("Township"),
        queryset=Township.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=gettext_lazy("All townships"),
    )

    def __init__(self, data, *, access, today):
        super().__init__(data)
        self.access, self.today = access, today
        if not access.is_county:
            del self.fields["township"]

    @property
    def chosen_township(self):
        return self.cleaned_data.get("township") if self.access.is_county else None


class HoursForm(MonthRangeMixin, ScopeForm):
    """A range of months, by default the last twelve up to this month; at most 36."""

    month_from = MonthField(label=gettext_lazy("First month"))
    month_to = MonthField(label=pgettext_lazy("end of a range of months", "Last month"))

    field_order = ["month_from", "month_to", "township"]
    max_months = MAX_HOURS_MONTHS

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        this_month = month_start(self.today)
        first, last = cleaned.get("month_from"), cleaned.get("month_to")
        if first and not last:
            last = min(add_months(first, DEFAULT_MONTHS - 1), this_month)
        last = last or this_month
        first = first or add_months(last, 1 - DEFAULT_MONTHS)
        self.check_range(cleaned, first, last)
        return cleaned
