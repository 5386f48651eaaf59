"""Forms of the public notice: the public's opinion form and the county's moderation form."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ratings.models import Objection
from ratings.objections import TEXT_MAX, TEXT_MIN, objection_communities

HONEYPOT = "website"


class CommunityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.local_name} · {obj.township.local_name}"


class ObjectionForm(forms.Form):
    community = CommunityChoiceField(
        label=_("Community concerned"),
        queryset=None,
        required=False,
        empty_label=_("General: the round as a whole"),
    )
    text = forms.CharField(
        label=_("Your opinion or objection"),
        min_length=TEXT_MIN,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    name = forms.CharField(
        label=_("Your name (optional)"),
        max_length=Objection._meta.get_field("name").max_length,
        required=False,
    )
    contact = forms.CharField(
        label=_("Telephone or address to reach you (optional)"),
        max_length=Objection._meta.get_field("contact").max_length,
        required=False,
        help_text=_("Seen only by county staff, never published."),
    )
    # A trap for bots: hidden from people (CSS and aria-hidden), so anything in it
    # means a robot filled in every field.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args, round, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = objection_communities(round)
        self.fields["text"].help_text = gettext(
            "State the facts. At least %(min)d and at most %(max)d characters."
        ) % {"min": TEXT_MIN, "max": TEXT_MAX}

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get(HONEYPOT, "").strip()) if self.is_bound else False


class ModerateForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (Objection.Status.PUBLISHED, _("Publish on the notice page")),
            (Objection.Status.HIDDEN, _("Hide")),
        ],
        widget=forms.RadioSelect,
    )
    handling = forms.CharField(
        label=_("How it was handled (internal record)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    public_reply = forms.CharField(
        label=_("Public reply"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Shown under the opinion once it is published."),
    )
