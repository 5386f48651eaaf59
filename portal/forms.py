"""The forms of the portal's own pages: an announcement, and the filters of the
announcements' lists (public and the county's)."""

import datetime

import django_filters
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from chunan_community.forms import PortalForm
from chunan_community.templatetags.portal_text import zh_lang
from chunan_community.uploads import size_text
from portal.announcements import publication_errors
from portal.models import Announcement, AnnouncementStatus
from ratings.models import Round


class RoundChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class AnnouncementForm(PortalForm):
    """An announcement as county staff write it. The attachment is checked by the domain
    (portal.announcements.check_attachment); its refusal comes back on the field."""

    title = forms.CharField(
        label=_("Announcement title"),
        max_length=200,
        error_messages={
            "required": _("Enter the title of the announcement."),
            "max_length": _("Shorten the title to at most %(limit_value)d characters."),
        },
    )
    published_on = forms.DateField(
        label=_("Publish on"),
        required=False,
        help_text=_(
            "Public from this day on: today publishes it now, a later day schedules it. "
            "Leave it empty to keep a draft that nobody else sees."
        ),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter the date as YYYY-MM-DD, e.g. 2026-03-10.")},
    )
    body = forms.CharField(
        label=_("Text of the announcement"),
        widget=forms.Textarea(attrs={"rows": 12}),
        max_length=20_000,
        help_text=_("Plain text; an empty line starts a new paragraph."),
        error_messages={
            "required": _("Write the text of the announcement."),
            "max_length": _("Shorten the text to at most %(limit_value)d characters."),
        },
    )
    attachment = forms.FileField(
        label=_("Attachment (optional)"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ".pdf,.docx,.xlsx,.jpg,.jpeg,.png,.webp"}),
        error_messages={
            "empty": _("The file is empty."),
            "invalid": _("Choose the file again: it did not arrive."),
        },
    )
    remove_attachment = forms.BooleanField(label=_("Remove the attachment"), required=False)
    round = RoundChoiceField(
        label=_("Rating round (optional)"),
        queryset=Round.objects.order_by("-year", "-code"),
        required=False,
        empty_label=_("None"),
        help_text=_(
            "The round this announcement is about. A round opening its declarations "
            "publishes its own call for declarations, unless one is linked to it already."
        ),
    )

    def __init__(self, *args, announcement: Announcement | None = None, today, **kwargs):
        self.announcement, self.today = announcement, today
        if announcement is not None and not kwargs.get("data"):
            kwargs.setdefault(
                "initial",
                {
                    "title": announcement.title,
                    "published_on": announcement.published_on,
                    "body": announcement.body,
                    "round": announcement.round_id,
                },
            )
        super().__init__(*args, **kwargs)
        # The attachment's limits, said where it is chosen.
        self.fields["attachment"].help_text = _(
            "A PDF, Word (.docx) or Excel (.xlsx) file or a picture (JPEG, PNG, WebP), at "
            "most %(limit)s."
        ) % {"limit": size_text(settings.ANNOUNCEMENT_MAX_BYTES)}
        if announcement is None or not announcement.has_attachment:
            del self.fields["remove_attachment"]
        # Chinese text on a page in another language is marked as such (WCAG 3.1.2), as
        # the templates' `zh` filter marks it.
        for name in ("title", "body"):
            if zh_lang(self[name].value() or ""):
                self.fields[name].widget.attrs["lang"] = "zh-Hans"

    def clean_published_on(self):
        published_on = self.cleaned_data["published_on"]
        previous = self.announcement.published_on if self.announcement else None
        for message in publication_errors(
            published_on, previous=previous, today=self.today
        ).values():
            raise forms.ValidationError(message)
        return published_on

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("attachment") and cleaned.get("remove_attachment"):
            self.add_error(
                "remove_attachment",
                _("Either replace the attachment with a new file or remove it, not both."),
            )
        return cleaned

    def domain_kwargs(self) -> dict:
        data = self.cleaned_data
        kwargs = {
            "title": data["title"],
            "body": data["body"],
            "published_on": data["published_on"],
            "round": data["round"],
            "upload": data.get("attachment") or None,
            "today": self.today,
        }
        if self.announcement is not None:
            kwargs["remove_attachment"] = data.get("remove_attachment", False)
        return kwargs


class WithdrawForm(PortalForm):
    """The withdrawal's confirmation: a box to tick, so that a stray click withdraws
    nothing."""

    confirm = forms.BooleanField(
        label=_("Yes, withdraw it from the public pages"),
        error_messages={"required": _("Tick the box to confirm the withdrawal.")},
    )


# ---------- Filters ----------


def _year_choices(years) -> list[tuple[str, str]]:
    return [(str(year), str(year)) for year in years]


class PublicAnnouncementFilter(django_filters.FilterSet):
    """The public list's filter: the year of publication."""

    year = django_filters.ChoiceFilter(
        label=_("Year"),
        field_name="published_on",
        lookup_expr="year",
        empty_label=_("All years"),
    )

    class Meta:
        model = Announcement
        fields = ["year"]

    def __init__(self, *args, years, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["year"].extra["choices"] = _year_choices(years)


class ManageAnnouncementFilter(django_filters.FilterSet):
    """The county's list: by status (on `today`), by year of publication, by title."""

    q = django_filters.CharFilter(
        label=_("Announcement title"),
        field_name="title",
        lookup_expr="icontains",
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=AnnouncementStatus.choices,
        method="by_status",
        empty_label=_("All statuses"),
    )
    year = django_filters.ChoiceFilter(
        label=_("Year published"),
        field_name="published_on",
        lookup_expr="year",
        empty_label=_("All years"),
    )

    class Meta:
        model = Announcement
        fields = ["q", "status", "year"]

    def __init__(self, *args, years, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.filters["year"].extra["choices"] = _year_choices(years)

    def by_status(self, queryset, name, value):
        return queryset.with_status(value, self.today)
