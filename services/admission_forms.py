"""Forms of community admission (社区准入) and of the public commendations list.

The funds rule is `services.admission.funds_errors`: the form shows it field by field, the
domain enforces it again, so a request is judged the same way however it arrives.
"""

import django_filters
from django import forms
from django.db.models.functions import ExtractYear
from django.utils.translation import gettext_lazy as _

from services.admission import active_communities, funds_errors
from services.models import MONEY, AdmissionRequest, Commendation


class AdmissionRequestForm(forms.Form):
    """A department's request: what the task is, what follows it, which communities."""

    department = forms.CharField(
        label=_("Department"),
        max_length=100,
        help_text=_("The county department that wants to hand the task to communities."),
        error_messages={"required": _("Enter the department making the request.")},
    )
    task = forms.CharField(
        label=_("Task"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the communities would be asked to do."),
        error_messages={"required": _("Describe the task the department wants to hand over.")},
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.available = list(active_communities())
        self.fields["communities"].choices = [(c.pk, c.local_name) for c in self.available]

    @classmethod
    def initial_for(cls, admission_request: AdmissionRequest) -> dict:
        return {
            "department": admission_request.department,
            "task": admission_request.task,
            "funds_follow": admission_request.funds_follow,
            "funds_yuan": admission_request.funds_yuan if admission_request.funds_follow else None,
            "staff_follow": admission_request.staff_follow,
            "authority_follow": admission_request.authority_follow,
            "communities": [c.pk for c in admission_request.communities.all()],
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

    def clean(self):
        cleaned = super().clean()
        if "funds_yuan" not in self.errors:
            for field, message in funds_errors(
                funds_follow=cleaned.get("funds_follow", False),
                funds_yuan=cleaned.get("funds_yuan"),
            ).items():
                self.add_error(field, message)
        if "communities" not in self.errors:
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

    def domain_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "department": data["department"],
            "task": data["task"],
            "funds_follow": data["funds_follow"],
            "staff_follow": data["staff_follow"],
            "authority_follow": data["authority_follow"],
            "funds_yuan": data["funds_yuan"],
            "communities": data["community_list"],
        }


class DecisionForm(forms.Form):
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
        label=_("Year submitted"),
        field_name="submitted_at",
        lookup_expr="year",
        empty_label=_("All years"),
    )

    class Meta:
        model = AdmissionRequest
        fields = ["status", "department", "year"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["year"].extra["choices"] = _years_of(
            AdmissionRequest.objects.all(), "submitted_at"
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
