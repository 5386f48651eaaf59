"""Forms of community admission (社区准入) and of the public commendations list.

The funds rule is `services.admission.funds_errors`: the form shows it field by field, the
domain enforces it again, so a request is judged the same way however it arrives.
"""

import re

import django_filters
from django import forms
from django.db.models import Count
from django.db.models.functions import ExtractYear
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from chunan_community.forms import PortalForm
from communities.forms import SELECT_MAX
from communities.models import Township
from services.admission import active_communities, funds_errors, received_errors
from services.models import MONEY, AdmissionRequest, Commendation

# Codes typed in the box are separated by spaces, commas (either width), 、 or semicolons.
CODE_SEPARATORS = re.compile(r"[\s,，、;；]+")
# An error lists at most this many unknown codes, then says how many more there are.
UNKNOWN_SHOWN = 20


def split_codes(text: str) -> list[str]:
    """The codes typed in `text`, in the order typed, each once."""
    return list(dict.fromkeys(code for code in CODE_SEPARATORS.split(text or "") if code))


class TownshipChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.local_name


class AdmissionRequestForm(PortalForm):
    """A department's request: what the task is, what follows it, which communities.

    The communities are asked for as suits their number (the threshold of
    `communities.forms.CommunityField`): up to SELECT_MAX active communities, a box for each,
    grouped by township (`self.many` is False); beyond, a page with a box per community would
    grow with the county, so the form asks for whole townships (a multiple select) and for
    single communities by code (a text box), besides "All communities" (`self.many` is True).
    Either way the form cleans to `community_list`, the communities the request concerns.
    """

    department = forms.CharField(
        label=_("Department"),
        max_length=100,
        help_text=_("The county department that wants to hand the task to communities."),
        error_messages={"required": _("Enter the department making the request.")},
    )
    contact_email = forms.EmailField(
        label=_("Contact e-mail"),
        required=False,
        max_length=254,
        help_text=_(
            "The department's address (optional): the county's decision is e-mailed to it."
        ),
        error_messages={
            "invalid": _("Enter the department's e-mail address, e.g. office@example.gov.cn.")
        },
    )
    task = forms.CharField(
        label=_("Task"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the communities would be asked to do."),
        error_messages={"required": _("Describe the task the department wants to hand over.")},
    )
    received_on = forms.DateField(
        label=_("Received on"),
        help_text=_(
            "The day the request reached the county, on paper or otherwise; not after today."
        ),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("Enter the day the request reached the county."),
            "invalid": _("Enter the date as YYYY-MM-DD, e.g. 2026-03-10."),
        },
    )
    funds_follow = forms.BooleanField(label=_("Funds follow the task (费随事转)"), required=False)
    funds_yuan = forms.DecimalField(
        label=_("Funds (yuan)"),
        required=False,
        min_value=0,
        max_digits=MONEY["max_digits"],
        decimal_places=MONEY["decimal_places"],
        help_text=_("The amount the department hands over with the task, in yuan."),
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
        error_messages={
            "invalid": _("Enter the funds as a number of yuan, e.g. 50000 or 1250.50."),
            "min_value": _("The funds cannot be negative."),
            "max_digits": _("The amount is too large: at most 10 digits before the point."),
            "max_decimal_places": _("Enter at most 2 decimal places (fen)."),
            "max_whole_digits": _("The amount is too large: at most 10 digits before the point."),
        },
    )
    staff_follow = forms.BooleanField(label=_("Staff follow the task (人随事转)"), required=False)
    authority_follow = forms.BooleanField(
        label=_("Authority follows the task (权随事转)"), required=False
    )
    all_communities = forms.BooleanField(
        label=_("All communities"),
        required=False,
        help_text=_("Every active community; the boxes below are then ignored."),
    )
    communities = forms.TypedMultipleChoiceField(
        label=_("Communities concerned"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose only active communities.")},
    )

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        self.fields["received_on"].initial = self.today
        # One query of at most SELECT_MAX + 1 rows tells which form this is.
        few = list(active_communities()[: SELECT_MAX + 1])
        self.many = len(few) > SELECT_MAX
        if not self.many:
            self.available = few
            self.fields["communities"].choices = [(c.pk, c.local_name) for c in few]
            return
        self.available = []
        self.fields["all_communities"].help_text = _(
            "Every active community; the townships and codes below are then ignored."
        )
        del self.fields["communities"]
        self.fields["townships"] = TownshipChoiceField(
            label=_("Whole townships"),
            queryset=Township.objects.filter(
                pk__in=active_communities().values("township_id")
            ).order_by("sort_order", "code"),
            required=False,
            widget=forms.SelectMultiple(attrs={"size": 8}),
            help_text=_(
                "Every active community of the townships chosen. Hold Ctrl (⌘ on a Mac) "
                "to choose several."
            ),
            error_messages={"invalid_choice": _("Choose only townships in the list.")},
        )
        self.fields["community_codes"] = forms.CharField(
            label=_("Single communities, by code"),
            required=False,
            widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false"}),
            help_text=_(
                "The codes of the communities concerned, separated by spaces, commas or 、. "
                "The codes are in the community registry."
            ),
        )
        if not self.is_bound and "communities" in self.initial:
            self.initial.update(self._initial_many(self.initial["communities"]))

    @staticmethod
    def _initial_many(pks) -> dict:
        """A stored choice of communities, put as "All communities", or whole townships
        plus the codes of the rest: a township all of whose active communities are chosen
        is shown as the township."""
        chosen = list(
            active_communities()
            .filter(pk__in=list(pks))
            .select_related(None)
            .order_by("township__sort_order", "township__code", "code")
            .values_list("code", "township_id")
        )
        if not chosen:
            return {"all_communities": False, "townships": [], "community_codes": ""}
        active = dict(
            active_communities()
            .order_by()
            .values_list("township_id")
            .annotate(n=Count("pk"))
            .values_list("township_id", "n")
        )
        if len(chosen) == sum(active.values()):
            return {"all_communities": True, "townships": [], "community_codes": ""}
        per_township = {}
        for code, township_id in chosen:
            per_township.setdefault(township_id, []).append(code)
        whole = [t for t, codes in per_township.items() if len(codes) == active.get(t)]
        rest = [code for t, codes in per_township.items() if t not in whole for code in codes]
        return {"all_communities": False, "townships": whole, "community_codes": " ".join(rest)}

    @classmethod
    def initial_for(cls, admission_request: AdmissionRequest) -> dict:
        return {
            "department": admission_request.department,
            "contact_email": admission_request.contact_email,
            "task": admission_request.task,
            "funds_follow": admission_request.funds_follow,
            "funds_yuan": admission_request.funds_yuan if admission_request.funds_follow else None,
            "staff_follow": admission_request.staff_follow,
            "authority_follow": admission_request.authority_follow,
            "communities": [c.pk for c in admission_request.communities.all()],
            "received_on": admission_request.received_on,
        }

    def community_groups(self):
        """The community boxes by township: [{"township": name, "options": [BoundWidget]}]."""
        township_of = {str(c.pk): c.township for c in self.available}
        groups = []
        for option in self["communities"]:
            township = township_of[str(option.data["value"])]
            if not groups or groups[-1]["township"] != township:
                groups.append({"township": township, "options": []})
            groups[-1]["options"].append(option)
        return groups

    def clean_received_on(self):
        received_on = self.cleaned_data["received_on"]
        for message in received_errors(received_on, today=self.today).values():
            raise forms.ValidationError(message)
        return received_on

    def clean(self):
        cleaned = super().clean()
        if "funds_yuan" not in self.errors:
            for field, message in funds_errors(
                funds_follow=cleaned.get("funds_follow", False),
                funds_yuan=cleaned.get("funds_yuan"),
            ).items():
                self.add_error(field, message)
        if self.many:
            self._clean_many(cleaned)
        elif "communities" not in self.errors:
            chosen = set(cleaned.get("communities") or ())
            if cleaned.get("all_communities"):
                cleaned["community_list"] = list(self.available)
            else:
                cleaned["community_list"] = [c for c in self.available if c.pk in chosen]
            if not cleaned["community_list"]:
                self.add_error(
                    "communities",
                    _("Choose the communities concerned, or tick “All communities”."),
                )
        return cleaned

    def _clean_many(self, cleaned) -> None:
        """`community_list` from "All communities", whole townships and typed codes; every
        code is checked, and the unknown ones are named in one message."""
        if "townships" in self.errors:
            return
        if cleaned.get("all_communities"):
            cleaned["community_list"] = list(active_communities())
            return
        codes = split_codes(cleaned.get("community_codes", ""))
        found = {c.code: c for c in active_communities().filter(code__in=codes)}
        unknown = [code for code in codes if code not in found]
        if unknown:
            shown = "、".join(unknown[:UNKNOWN_SHOWN])
            if len(unknown) > UNKNOWN_SHOWN:
                shown += ngettext(
                    " and %(count)d more", " and %(count)d more", len(unknown) - UNKNOWN_SHOWN
                ) % {"count": len(unknown) - UNKNOWN_SHOWN}
            self.add_error(
                "community_codes",
                ngettext(
                    "No active community has the code %(codes)s: correct it or remove it.",
                    "No active community has these codes: %(codes)s. Correct or remove them.",
                    len(unknown),
                )
                % {"codes": shown},
            )
            return
        townships = cleaned.get("townships") or []
        chosen = {c.pk: c for c in active_communities().filter(township__in=townships)}
        for community in found.values():
            chosen.setdefault(community.pk, community)
        cleaned["community_list"] = list(chosen.values())
        if not chosen:
            self.add_error(
                "community_codes",
                _(
                    "Choose the communities concerned: tick “All communities”, choose "
                    "townships or enter community codes."
                ),
            )

    def domain_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "department": data["department"],
            "contact_email": data["contact_email"],
            "task": data["task"],
            "funds_follow": data["funds_follow"],
            "staff_follow": data["staff_follow"],
            "authority_follow": data["authority_follow"],
            "funds_yuan": data["funds_yuan"],
            "communities": data["community_list"],
            "received_on": data["received_on"],
            "today": self.today,
        }


class DecisionForm(PortalForm):
    """The reason of a decision: required to refuse, an optional note to approve."""

    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args, required: bool, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["reason"]
        field.required = required
        if required:
            field.label = _("Reason for the refusal (the department is told it)")
            field.error_messages["required"] = _(
                "Give the reason for the refusal: the department is told it."
            )
        else:
            field.label = _("Note on the approval (optional)")


# ---------- Filters ----------


def _years_of(queryset, field):
    years = (
        queryset.order_by().annotate(y=ExtractYear(field)).values_list("y", flat=True).distinct()
    )
    return [(str(year), str(year)) for year in sorted(set(years), reverse=True)]


class AdmissionFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=AdmissionRequest.Status.choices,
        empty_label=_("All statuses"),
    )
    department = django_filters.CharFilter(
        label=_("Department"), lookup_expr="icontains", max_length=100
    )
    year = django_filters.ChoiceFilter(
        label=_("Year received"),
        field_name="received_on",
        lookup_expr="year",
        empty_label=_("All years"),
    )

    class Meta:
        model = AdmissionRequest
        fields = ["status", "department", "year"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["year"].extra["choices"] = _years_of(
            AdmissionRequest.objects.filter(received_on__isnull=False), "received_on"
        )


class CommendationFilter(django_filters.FilterSet):
    year = django_filters.ChoiceFilter(label=_("Year"), empty_label=_("All years"))
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=Commendation.Kind.choices, empty_label=_("All kinds")
    )

    class Meta:
        model = Commendation
        fields = ["year", "kind"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        years = Commendation.objects.order_by("-year").values_list("year", flat=True).distinct()
        self.filters["year"].extra["choices"] = [(str(year), str(year)) for year in years]
