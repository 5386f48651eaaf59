from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db.models import Q
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _

from chunan_community.forms import PortalForm
from communities.models import Township


class TermsDueForm(PortalForm):
    days = forms.IntegerField(
        label=_("Due within (days)"),
        min_value=1,
        max_value=3650,
        required=False,
        help_text=_("Terms that have already ended are always listed."),
    )
    township = forms.ModelChoiceField(
        label=_("Township"),
        queryset=Township.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("All townships"),
    )


# ---------- Picking a community, at any scale ----------

# Up to this many communities in scope, a picker is a select of their names; beyond, a text
# box for a code or part of a name. A select of every community of a province runs to 10,000
# options: most of a megabyte and a second of rendering on every page, and nobody scrolls it.
SELECT_MAX = 50
SEARCH_MAX_LENGTH = 100
HIDDEN, SELECT, SEARCH = "hidden", "select", "search"


def community_search_q(text: str) -> Q:
    """Communities whose code, name or English name contains `text`."""
    return Q(code__icontains=text) | Q(name__icontains=text) | Q(name_en__icontains=text)


class CommunityField(forms.Field):
    """A community of a scope, asked for as suits the size of the scope (`set_scope`).

    One community: nothing to pick (a hidden field, still checked). Up to SELECT_MAX: a select
    of their names. More: a text box for a code or part of a name. The value is a community
    code in every case, so links such as `?community=<code>` work whatever the page shows.

    A filter (`search=True`) cleans to the matching communities of the scope, for
    `community__in`: the one whose code the text is, else every one whose code or name
    contains it. A choice (`search=False`) cleans to one Community: the code, else the one
    community whose name is (or contains) the text; a required choice with one community in
    scope is that one.
    """

    default_error_messages = {
        # Django's own message (and translation) for a choice outside the list.
        "invalid_choice": gettext_lazy(
            "Select a valid choice. That choice is not one of the available choices."
        ),
        "not_found": gettext_lazy("No community in your area has this code or name."),
        "ambiguous": gettext_lazy(
            "Several communities match “%(text)s” (%(codes)s): enter the code of one."
        ),
    }

    def __init__(self, *, search=True, empty_label=None, **kwargs):
        self.scope, self.mode, self.listed = None, None, {}
        self.search = search
        self.empty_label = empty_label or "---------"
        super().__init__(**kwargs)

    def set_scope(self, scope) -> None:
        """Set the communities to pick from: one query, at most SELECT_MAX + 1 rows."""
        self.scope = scope
        few = list(
            scope.select_related(None)
            .only("pk", "code", "name", "name_en")
            .order_by("township__sort_order", "township__code", "code")[: SELECT_MAX + 1]
        )
        self.listed = {community.code: community for community in few}
        if len(few) <= 1:
            self.mode, widget = HIDDEN, forms.HiddenInput()
        elif len(few) <= SELECT_MAX:
            self.mode = SELECT
            widget = forms.Select(
                choices=[("", self.empty_label)] + [(c.code, c.local_name) for c in few]
            )
        else:
            self.mode = SEARCH
            widget = forms.TextInput(
                attrs={
                    "type": "search",
                    "maxlength": SEARCH_MAX_LENGTH,
                    "autocomplete": "off",
                    "placeholder": gettext("Code or part of the name"),
                }
            )
            if not self.help_text:
                self.help_text = gettext("Enter a community's code or part of its name.")
        widget.is_required = self.required
        self.widget = widget

    def clean(self, value):
        text = str(value or "").strip()
        # The text reaches a query, and PostgreSQL refuses a NUL in one (a 500): refused
        # here with Django's message, as CharField does.
        ProhibitNullCharactersValidator()(text)
        if not text and not self.required:
            return None
        if not text:
            if self.mode == HIDDEN and not self.search and self.listed:
                return next(iter(self.listed.values()))
            raise ValidationError(self.error_messages["required"], code="required")
        if self.mode != SEARCH:
            community = self.listed.get(text)
            if community is None:
                raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
            return [community] if self.search else community
        if len(text) > SEARCH_MAX_LENGTH:
            raise ValidationError(self.error_messages["not_found"], code="not_found")
        exact = self.scope.filter(code=text)
        if self.search:
            return exact if exact.exists() else self.scope.filter(community_search_q(text))
        return self._one(text, exact)

    def _one(self, text, exact):
        """The community `text` names: by code, by whole name, by part of a name."""
        for candidates in (
            exact,
            self.scope.filter(Q(name=text) | Q(name_en__iexact=text)),
            self.scope.filter(community_search_q(text)),
        ):
            found = list(candidates.select_related(None).order_by("code")[:4])
            if len(found) == 1:
                return found[0]
            if found:
                codes = ", ".join(community.code for community in found[:3])
                raise ValidationError(
                    self.error_messages["ambiguous"],
                    code="ambiguous",
                    params={"text": text, "codes": codes + ("…" if len(found) > 3 else "")},
                )
        raise ValidationError(self.error_messages["not_found"], code="not_found")


class TownshipChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.local_name
