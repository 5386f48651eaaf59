"""Forms of the staff, judging and public results pages: they check input; the rules live in
ratings.domain."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from chunan_community.forms import PortalForm
from communities.access import JUDGE, access_for
from communities.forms import CommunityField
from communities.models import Community
from ratings.models import MAX_STARS, Tier


class AdvanceForm(PortalForm):
    """The note of a move, and when the move goes against the round's dates (`warnings`),
    the county's second yes: moving on all the same."""

    note = forms.CharField(
        label=gettext_lazy("Note for the record (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    despite_dates = forms.BooleanField(
        label=gettext_lazy("Move on all the same, against the dates above"), required=False
    )

    def __init__(self, *args, warnings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.warnings = warnings
        if not warnings:
            del self.fields["despite_dates"]

    def clean(self):
        cleaned = super().clean()
        if self.warnings and not cleaned.get("despite_dates"):
            self.add_error(
                "despite_dates",
                _("The move goes against the round's dates: tick the box to move on all the same."),
            )
        return cleaned


class NoticeOpenForm(AdvanceForm):
    """Opening the public notice: the contacts the notice prints for objections."""

    contact_phone = forms.CharField(
        label=gettext_lazy("Telephone for objections"),
        max_length=40,
        help_text=gettext_lazy("Printed on the notice, e.g. 0571-65021234."),
    )
    contact_address = forms.CharField(
        label=gettext_lazy("Address for written objections"),
        max_length=200,
        help_text=gettext_lazy(
            "Where a written objection is sent or brought, printed on the notice."
        ),
    )
    field_order = ["contact_phone", "contact_address", "note", "despite_dates"]


class ConfirmForm(AdvanceForm):
    """The note, and while opinions still wait for moderation, the county's word that each
    one was handled or considered: confirming must not quietly pass over an objection."""

    objections_considered = forms.BooleanField(
        label=gettext_lazy("I have handled or considered every objection"), required=False
    )

    def __init__(self, *args, pending: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.pending = pending
        if not pending:
            del self.fields["objections_considered"]

    def clean(self):
        cleaned = super().clean()
        if self.pending and not cleaned.get("objections_considered"):
            self.add_error(
                "objections_considered",
                ngettext(
                    "%(count)d opinion is still waiting for moderation: handle it, or tick "
                    "the box to confirm that you have considered it.",
                    "%(count)d opinions are still waiting for moderation: handle them, or "
                    "tick the box to confirm that you have considered every one.",
                    self.pending,
                )
                % {"count": self.pending},
            )
        return cleaned


class RevokeForm(PortalForm):
    reason = forms.CharField(
        label=gettext_lazy("Reason for revoking the rating (摘牌)"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class DeclarationForm(PortalForm):
    target_tier = forms.ChoiceField(
        label=gettext_lazy("Creation target (tier)"),
        choices=Tier.choices,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose the tier the community declares.")},
    )
    target_stars = forms.TypedChoiceField(
        label=gettext_lazy("Stars (for a star community)"),
        choices=[("", "—")] + [(n, str(n)) for n in range(1, MAX_STARS + 1)],
        coerce=int,
        empty_value=None,
        required=False,
    )
    self_assessment = forms.CharField(
        label=gettext_lazy("Self-assessment"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=gettext_lazy(
            "How the community meets the criteria of its target tier: facts and figures."
        ),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("target_tier") == Tier.STAR:
            if not cleaned.get("target_stars"):
                self.add_error(
                    "target_stars",
                    _("A star-community target needs a number of stars from 1 to %(max)s.")
                    % {"max": MAX_STARS},
                )
        elif cleaned.get("target_tier"):
            cleaned["target_stars"] = None
        return cleaned


class AssignJudgeForm(PortalForm):
    username = forms.CharField(label=gettext_lazy("Judge's user name"), max_length=150)
    is_chair = forms.BooleanField(label=gettext_lazy("Chair of the panel"), required=False)

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None or access_for(user).role != JUDGE:
            raise forms.ValidationError(
                _("No active user with the review-panel judge role has this user name.")
            )
        self.judge = user
        return username


class ConflictForm(PortalForm):
    judge = forms.ModelChoiceField(label=gettext_lazy("Judge"), queryset=None)
    # A select up to communities.forms.SELECT_MAX communities, a code or name beyond.
    community = CommunityField(label=gettext_lazy("Community"), search=False)
    reason = forms.CharField(label=gettext_lazy("Link (works or lives there, …)"), max_length=200)

    def __init__(self, *args, judges, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["judge"].queryset = judges
        self.fields["judge"].label_from_instance = lambda u: u.get_full_name() or u.username
        self.fields["community"].set_scope(Community.objects.all())


def points_field_name(criterion) -> str:
    return f"points_{criterion.pk}"


class ScoreSheetForm(PortalForm):
    """One points field per judged criterion of the declaration's target tier, and abstain."""

    abstain = forms.BooleanField(
        label=gettext_lazy("I abstain from scoring this community"), required=False
    )

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = list(criteria)
        for criterion in self.criteria:
            limit = format(criterion.max_points.normalize(), "f")
            # The messages do not repeat the criterion: its row says it beside the box, and
            # the error summary before each message (the field's label).
            self.fields[points_field_name(criterion)] = forms.DecimalField(
                label=criterion.name,
                min_value=0,
                max_value=criterion.max_points,
                max_digits=7,
                decimal_places=2,
                required=False,
                error_messages={
                    "max_value": _("Points must be from 0 to %(max)s.") % {"max": limit},
                    "min_value": _("Points must be from 0 to %(max)s.") % {"max": limit},
                },
                widget=forms.NumberInput(attrs={"step": "0.5", "inputmode": "decimal"}),
            )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("abstain"):
            return cleaned
        for criterion in self.criteria:
            name = points_field_name(criterion)
            if name in cleaned and cleaned[name] is None:
                self.add_error(name, _("Give points, or abstain."))
        return cleaned

    def points(self) -> dict:
        if self.cleaned_data.get("abstain"):
            return {}
        return {c.pk: self.cleaned_data[points_field_name(c)] for c in self.criteria}

    def rows(self):
        return [{"criterion": c, "field": self[points_field_name(c)]} for c in self.criteria]


# Up to this many townships, the results' township filter is a select; beyond, a text box
# for a township's code or part of its name (a province's select would weigh more than the
# results it filters).
TOWNSHIP_SELECT_MAX = 50


class ResultsFilterForm(PortalForm):
    """Find a community in a round's results (a plain GET filter): by name or code, and by
    township."""

    q = forms.CharField(
        label=gettext_lazy("Community name or code"), required=False, max_length=100
    )
    township = forms.CharField(
        label=gettext_lazy("Township"),
        required=False,
        max_length=100,
        help_text=gettext_lazy("Its code or part of its name."),
    )

    def __init__(self, data, *, townships):
        super().__init__(data)
        if len(townships) <= TOWNSHIP_SELECT_MAX:
            self.fields["township"] = forms.ChoiceField(
                label=gettext_lazy("Township"),
                required=False,
                choices=[("", gettext_lazy("All townships"))]
                + [(township.code, township.local_name) for township in townships],
            )

    def communities(self):
        """The communities the filter keeps (a queryset), or None when it keeps them all.
        A bad value is ignored, with its error on the form."""
        self.is_valid()
        text = self.cleaned_data.get("q", "").strip()
        township = self.cleaned_data.get("township", "").strip()
        if not (text or township):
            return None
        communities = Community.objects.all()
        if text:
            communities = communities.filter(
                Q(code__icontains=text) | Q(name__icontains=text) | Q(name_en__icontains=text)
            )
        if township:
            communities = communities.filter(
                Q(township__code=township)
                | Q(township__name__icontains=township)
                | Q(township__name_en__icontains=township)
            )
        return communities
