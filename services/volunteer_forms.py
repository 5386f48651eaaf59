"""Forms of the volunteers' pages: the list filter, the volunteer, a session of service, a
draw on the time bank, the bulk entry of paper slips and the contribution points card.

Choices of volunteers and households are labelled masked (`services.masking`): the clerk
picks from a list that could be read over their shoulder.
"""

import datetime
from decimal import Decimal

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from chunan_community.forms import PortalForm, PortalModelForm
from services.masking import mask_name, mask_phone
from services.models import MAX_SERVICE_HOURS, ContributionPoints, Volunteer

MAX_ROWS = 50
DEFAULT_ROWS = 10
PHONE_CHARACTERS = frozenset("0123456789 -+")


def date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def volunteer_label(volunteer: Volunteer) -> str:
    """Masked name, kind and masked phone: enough to tell two volunteers apart, no more."""
    parts = [mask_name(volunteer.name), str(volunteer.get_kind_display())]
    if volunteer.phone:
        parts.append(mask_phone(volunteer.phone))
    parts.append(_("No. %(number)s") % {"number": volunteer.pk})
    return " · ".join(parts)


def _not_in_future(value: datetime.date, message) -> None:
    if value and value > timezone.localdate():
        raise ValidationError(message)


def _not_before_registration(value: datetime.date, volunteer: Volunteer | None) -> None:
    if value and volunteer is not None and value < volunteer.registered_on:
        raise ValidationError(
            _("The volunteer registered on %(date)s: the date cannot be earlier.")
            % {"date": date_format(volunteer.registered_on, "DATE_FORMAT")}
        )


class HoursField(forms.DecimalField):
    """Hours with at most two decimals, above zero and at most `maximum`."""

    def __init__(self, *, maximum: Decimal | None = MAX_SERVICE_HOURS, **kwargs):
        self.maximum = maximum
        kwargs.setdefault("label", _("Hours"))
        kwargs.setdefault(
            "error_messages",
            {
                "invalid": _("Enter the hours as a number, such as 1.5."),
                "max_decimal_places": _("Enter the hours with at most two decimals."),
            },
        )
        super().__init__(max_digits=7, decimal_places=2, **kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update({"step": "0.01", "min": "0.01", "inputmode": "decimal"})
        if self.maximum is not None:
            attrs["max"] = str(self.maximum)
        return attrs

    def validate(self, value):
        super().validate(value)
        if value in self.empty_values:
            return
        if value <= 0:
            raise ValidationError(_("Enter a number of hours above zero."), code="min_value")
        if self.maximum is not None and value > self.maximum:
            raise ValidationError(
                _("A session lasts at most %(hours)s hours.") % {"hours": self.maximum},
                code="max_value",
            )


# ---------- The list ----------


class VolunteerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Full name"), method="search", widget=forms.SearchInput(attrs={"maxlength": 50})
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=Volunteer.Kind.choices, empty_label=_("All kinds")
    )
    active = django_filters.ChoiceFilter(
        label=_("Active"),
        choices=[("yes", _("Active")), ("no", _("Not active"))],
        empty_label=_("Active or not"),
        method="filter_active",
    )

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(name__icontains=value) if value else queryset

    def filter_active(self, queryset, name, value):
        return queryset.filter(active=value == "yes") if value else queryset


# ---------- A volunteer ----------


class VolunteerForm(PortalModelForm):
    """Register or edit a volunteer; the community is the page's, never the form's."""

    class Meta:
        model = Volunteer
        fields = ["name", "phone", "kind", "registered_on", "active"]
        widgets = {"registered_on": date_input()}
        help_texts = {
            "phone": _("Digits; spaces, dashes and a leading + are allowed."),
        }
        error_messages = {
            "name": {"required": _("Enter the volunteer's name.")},
            "registered_on": {"required": _("Enter the day the volunteer registered.")},
        }

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not editing:
            del self.fields["active"]
            # The unsaved instance's None would hide a field initial: set the form's.
            if not self.initial.get("registered_on"):
                self.initial["registered_on"] = timezone.localdate()

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise ValidationError(_("Enter the volunteer's name."))
        return name

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if not phone:
            return phone
        if not set(phone) <= PHONE_CHARACTERS or "+" in phone[1:]:
            raise ValidationError(
                _(
                    "Enter the phone number with digits only; spaces, dashes and a "
                    "leading + are allowed."
                )
            )
        if sum(c.isdigit() for c in phone) < 5:
            raise ValidationError(_("A phone number has at least 5 digits."))
        return phone

    def clean_registered_on(self):
        registered_on = self.cleaned_data["registered_on"]
        _not_in_future(registered_on, _("The registration date cannot be in the future."))
        if self.instance.pk:
            first = (
                self.instance.service_records.order_by("served_on")
                .values_list("served_on", flat=True)
                .first()
            )
            if first is not None and first < registered_on:
                raise ValidationError(
                    _(
                        "Service is recorded on %(date)s: the registration date cannot be "
                        "later than that."
                    )
                    % {"date": date_format(first, "DATE_FORMAT")}
                )
        return registered_on


# ---------- A session of service, a draw ----------


class SessionForm(PortalForm):
    """A session of service given by one volunteer (the volunteer's page)."""

    served_on = forms.DateField(
        label=_("Served on"),
        widget=date_input(),
        initial=timezone.localdate,
        error_messages={"required": _("Enter the day of the service.")},
    )
    hours = HoursField()
    activity = forms.CharField(
        label=_("Activity"),
        max_length=200,
        help_text=_("What was done, e.g. “Visiting an elderly resident”."),
        error_messages={"required": _("Say what the service was.")},
    )
    household = forms.ChoiceField(label=_("Household served"), required=False)

    def __init__(self, *args, volunteer: Volunteer | None, households: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.volunteer = volunteer
        self.households = households
        self.fields["household"].choices = household_choices(households)

    def clean_served_on(self):
        served_on = self.cleaned_data["served_on"]
        _not_in_future(served_on, _("The date of service cannot be in the future."))
        _not_before_registration(served_on, self.volunteer)
        return served_on

    def clean_activity(self):
        activity = self.cleaned_data["activity"].strip()
        if not activity:
            raise ValidationError(_("Say what the service was."))
        return activity

    def clean_household(self):
        value = self.cleaned_data["household"]
        return self.households[int(value)] if value else None

    def session(self) -> dict:
        """The keyword arguments of services.domain.service_record (without `by`)."""
        return {"volunteer": self.volunteer, **self.cleaned_data}


def household_label(household) -> str:
    return " · ".join(
        [
            mask_name(household.household_name),
            str(household.get_category_display()),
            _("No. %(number)s") % {"number": household.pk},
        ]
    )


def household_choices(households: dict) -> list:
    return [("", _("No household")), *((pk, household_label(h)) for pk, h in households.items())]


class DrawForm(PortalForm):
    """A draw on the time bank for service the volunteer or their family received."""

    on = forms.DateField(
        label=_("Date"),
        widget=date_input(),
        initial=timezone.localdate,
        error_messages={"required": _("Enter the day of the draw.")},
    )
    hours = HoursField(maximum=None)
    note = forms.CharField(
        label=_("Service received"),
        max_length=200,
        help_text=_("What the hours pay for, e.g. “Home cleaning for the family”."),
        error_messages={"required": _("Say what service the hours pay for.")},
    )

    def __init__(self, *args, volunteer: Volunteer, **kwargs):
        super().__init__(*args, **kwargs)
        self.volunteer = volunteer

    def clean_on(self):
        on = self.cleaned_data["on"]
        _not_in_future(on, _("The date cannot be in the future."))
        _not_before_registration(on, self.volunteer)
        return on

    def clean_note(self):
        note = self.cleaned_data["note"].strip()
        if not note:
            raise ValidationError(_("Say what service the hours pay for."))
        return note


# ---------- Paper slips, many at once ----------


class SlipForm(SessionForm):
    """One row of the bulk entry: a session of any of the community's active volunteers."""

    field_order = ["volunteer", "served_on", "hours", "activity", "household"]

    volunteer = forms.ChoiceField(
        label=_("Volunteer"), error_messages={"required": _("Choose the volunteer.")}
    )

    def __init__(self, *args, volunteers: dict, households: dict, **kwargs):
        super().__init__(*args, volunteer=None, households=households, **kwargs)
        self.volunteers = volunteers
        self.fields["volunteer"].choices = [
            ("", _("Choose a volunteer")),
            *((pk, volunteer_label(v)) for pk, v in volunteers.items()),
        ]
        # No date by default: a row left untouched must stay blank, and so be ignored.
        self.fields["served_on"].initial = None
        self.fields["activity"].help_text = ""

    def clean_volunteer(self):
        # The volunteer is cleaned first (field_order), so clean_served_on can check the
        # date against this volunteer's registration.
        self.volunteer = self.volunteers[int(self.cleaned_data["volunteer"])]
        return self.volunteer


class BaseSlipFormSet(forms.BaseFormSet):
    def filled(self) -> list[SlipForm]:
        """The rows with anything typed in them; blank rows are ignored."""
        return [form for form in self.forms if form.has_changed()]

    def clean(self):
        if any(self.errors):
            return
        if not self.filled():
            raise ValidationError(_("Fill in at least one row."), code="empty")


def slip_formset(rows: int):
    return forms.formset_factory(
        SlipForm,
        formset=BaseSlipFormSet,
        extra=rows,
        max_num=MAX_ROWS,
        absolute_max=MAX_ROWS,
        validate_max=True,
    )


# ---------- Contribution points card (奉献积分卡) ----------


class PointsForm(PortalModelForm):
    """A line of the card; the year is the date's unless given."""

    points = forms.IntegerField(
        label=_("Points"),
        min_value=1,
        max_value=10_000,
        error_messages={
            "min_value": _("Enter at least 1 point."),
            "max_value": _("Enter at most %(limit_value)s points."),
            "invalid": _("Enter the points as a whole number."),
        },
    )

    class Meta:
        model = ContributionPoints
        fields = ["on", "year", "activity", "points"]
        widgets = {"on": date_input()}
        help_texts = {"year": _("Leave blank for the year of the date.")}
        error_messages = {
            "on": {"required": _("Enter the day of the activity.")},
            "activity": {"required": _("Say what the points are for.")},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].required = False
        if not self.instance.pk and not self.initial.get("on"):
            self.initial["on"] = timezone.localdate()

    def clean_on(self):
        on = self.cleaned_data["on"]
        _not_in_future(on, _("The date cannot be in the future."))
        return on

    def clean_activity(self):
        activity = self.cleaned_data["activity"].strip()
        if not activity:
            raise ValidationError(_("Say what the points are for."))
        return activity

    def clean(self):
        cleaned = super().clean()
        # Only a blank year is the date's: a year typed as 0 is checked (and refused) as typed.
        if cleaned.get("on") and cleaned.get("year") is None and "year" not in self.errors:
            cleaned["year"] = cleaned["on"].year
        return cleaned


# ---------- The statement's year ----------


class StatementYearForm(PortalForm):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [("", _("All years")), *((y, y) for y in years)]
