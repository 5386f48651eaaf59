"""Forms of the public notice: the public's opinion form and the county's moderation form."""

from django import forms
from django.db.models import Q
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from chunan_community.forms import PortalForm
from communities.forms import SEARCH_MAX_LENGTH, SELECT_MAX
from ratings.models import Objection
from ratings.objections import TEXT_MAX, TEXT_MIN, objection_communities

HONEYPOT = "website"


class CommunityChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.local_name} · {obj.township.local_name}"


class ObjectionForm(PortalForm):
    """The public's opinion form. Its error messages are written for residents: Django's
    generic ones ("确保该变量至少包含 5 字符") read like a programmer's."""

    community = CommunityChoiceField(
        label=_("Community concerned"),
        queryset=None,
        required=False,
        empty_label=_("General: the round as a whole"),
        error_messages={
            "invalid_choice": _(
                "Choose a community from the list, or “General” for the round as a whole."
            )
        },
    )
    text = forms.CharField(
        label=_("Your opinion or objection"),
        min_length=TEXT_MIN,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={
            "required": _("Write your opinion or objection."),
            "min_length": _(
                "Your opinion is too short: write at least %(limit_value)d characters "
                "(you wrote %(show_value)d)."
            ),
            "max_length": _(
                "Your opinion is too long: at most %(limit_value)d characters "
                "(you wrote %(show_value)d). Shorten it, or send it in writing."
            ),
        },
    )
    name = forms.CharField(
        label=_("Your name (optional)"),
        max_length=Objection._meta.get_field("name").max_length,
        required=False,
        error_messages={
            "max_length": _(
                "Your name is too long: at most %(limit_value)d characters "
                "(you wrote %(show_value)d)."
            )
        },
    )
    contact = forms.CharField(
        label=_("Telephone or address to reach you (optional)"),
        max_length=Objection._meta.get_field("contact").max_length,
        required=False,
        help_text=format_lazy(
            "{} {}",
            _("Seen only by county staff, never published."),
            _("Give an e-mail address to receive the county's reply by e-mail as well."),
        ),
        error_messages={
            "max_length": _(
                "Your telephone or address is too long: at most %(limit_value)d characters "
                "(you wrote %(show_value)d)."
            )
        },
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
        self.communities = objection_communities(round)
        # Up to SELECT_MAX communities, a select of them (the threshold of
        # communities.forms.CommunityField); beyond, a select of every declaring community
        # of a province would weigh most of a megabyte, so a text box takes a code or name.
        counted = self.communities.select_related(None).order_by().values_list("pk", flat=True)
        self.many = len(counted[: SELECT_MAX + 1]) > SELECT_MAX
        if self.many:
            self.fields["community"] = forms.CharField(
                label=_("Community concerned (optional)"),
                required=False,
                max_length=SEARCH_MAX_LENGTH,
                widget=forms.TextInput(attrs={"autocomplete": "off"}),
                help_text=_(
                    "The community's code or its full name, as in the results above. "
                    "Leave it empty for the round as a whole."
                ),
                error_messages={
                    "max_length": _(
                        "No community's code or name is that long: at most %(limit_value)d "
                        "characters (you wrote %(show_value)d)."
                    )
                },
            )
        else:
            self.fields["community"].queryset = self.communities
        self.fields["text"].help_text = gettext(
            "State the facts. At least %(min)d and at most %(max)d characters."
        ) % {"min": TEXT_MIN, "max": TEXT_MAX}

    def clean_community(self):
        """A community of the round (or None): chosen in the select, or typed as a code or
        exact name in the text box."""
        value = self.cleaned_data.get("community")
        if not self.many:
            return value
        text = (value or "").strip()
        if not text:
            return None
        found = list(
            self.communities.filter(Q(code=text) | Q(name=text) | Q(name_en__iexact=text)).order_by(
                "code"
            )[:4]
        )
        by_code = [community for community in found if community.code == text]
        if by_code:
            return by_code[0]
        if len(found) == 1:
            return found[0]
        if found:
            codes = ", ".join(community.code for community in found[:3])
            raise forms.ValidationError(
                _(
                    "Several communities of this round are called “%(text)s”: enter the code "
                    "of one (%(codes)s)."
                ),
                code="ambiguous",
                params={"text": text, "codes": codes + ("…" if len(found) > 3 else "")},
            )
        raise forms.ValidationError(
            _(
                "No community of this round has the code or name “%(text)s”. Check it against "
                "the results above, or leave the box empty for the round as a whole."
            ),
            code="not_found",
            params={"text": text},
        )

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get(HONEYPOT, "").strip()) if self.is_bound else False


class ModerateForm(PortalForm):
    status = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (Objection.Status.PUBLISHED, _("Publish on the notice page")),
            (Objection.Status.HIDDEN, _("Hide")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether to publish the opinion or hide it.")},
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
