"""The forms of a person's own pages: their contact details, how they want each kind of
message, the inbox's filter, and the password-reset request that goes through the outbox."""

import datetime

import django_filters
from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chunan_community import phones
from chunan_community.forms import PortalForm, PortalModelForm, VisibleTextMixin
from notifications.models import Delivery, Kind, Message, Mode, Preference, Profile
from notifications.notify import email_to
from notifications.reminders import kinds_for

User = get_user_model()

# Password-reset e-mails to one address in an hour; more requests send nothing more.
RESETS_PER_ADDRESS = 3


class ProfileForm(PortalModelForm):
    """The contact details: the e-mail address is the account's, the rest the profile's."""

    email = forms.EmailField(
        label=_("E-mail address"),
        required=False,
        help_text=_("Reminders and password links are sent here."),
    )

    class Meta:
        model = Profile
        fields = ["phone", "sms", "language"]
        widgets = {
            "phone": forms.TextInput(
                attrs={"type": "tel", "inputmode": "tel", "autocomplete": "tel"}
            ),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["email"].initial = user.email
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.order_fields(["email", "phone", "sms", "language"])

    def clean_phone(self):
        phone = " ".join(phones.typed(self.cleaned_data["phone"]).split())
        phones.validate_mobile_number(phone)
        return phone

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("sms") and not cleaned.get("phone") and "phone" not in self.errors:
            self.add_error("phone", _("Enter a mobile number to receive text messages."))
        return cleaned

    def save(self, commit=True):
        profile = super().save(commit=False)
        profile.user = self.user
        profile.save()
        if self.cleaned_data["email"] != self.user.email:
            self.user.email = self.cleaned_data["email"]
            self.user.save(update_fields=["email"])
        return profile


class PreferencesForm(PortalForm):
    """One choice of Mode per kind a user may choose for (models.chosen_kinds)."""

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        chosen = dict(Preference.objects.filter(user=user).values_list("kind", "mode"))
        self.kinds = kinds_for(user)
        for kind in self.kinds:
            self.fields[kind.value] = forms.ChoiceField(
                label=kind.label,
                choices=Mode.choices,
                initial=chosen.get(kind.value, Mode.EMAIL),
                widget=forms.RadioSelect,
            )

    def save(self) -> None:
        for kind in self.kinds:
            Preference.objects.update_or_create(
                user=self.user, kind=kind.value, defaults={"mode": self.cleaned_data[kind.value]}
            )


class InboxFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(
        label=_("Unread only"),
        field_name="read_at",
        lookup_expr="isnull",
        widget=forms.CheckboxInput,
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind"),
        choices=[(kind.value, kind.label) for kind in Kind if kind not in {Kind.DIGEST}],
        empty_label=_("All kinds"),
    )

    class Meta:
        model = Message
        fields = ["unread", "kind"]

    def filter_queryset(self, queryset):
        # An unticked box means every message, not the read ones only.
        if not self.form.cleaned_data.get("unread"):
            self.form.cleaned_data["unread"] = None
        return super().filter_queryset(queryset)


class PasswordResetForm(VisibleTextMixin, auth_forms.PasswordResetForm):
    """Django's form, whose e-mail goes through the outbox (sent by the worker, outside the
    request: the page answers as fast whether an account exists or not)."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        user = context["user"]
        since = timezone.now() - datetime.timedelta(hours=1)
        asked = Delivery.objects.filter(
            kind=Kind.PASSWORD_RESET, to=to_email, created_at__gte=since
        ).count()
        if asked >= RESETS_PER_ADDRESS:
            # Enough links are on their way to this mailbox; the page says the same.
            return
        profile = Profile.objects.filter(user=user).first()
        email_to(
            to_email,
            Kind.PASSWORD_RESET,
            "notifications/messages/password_reset.txt",
            {"recipient": user},
            url=reverse(
                "password_reset_confirm",
                kwargs={"uidb64": context["uid"], "token": context["token"]},
            ),
            language=profile.language if profile else settings.LANGUAGE_CODE,
            sensitive=True,
        )
