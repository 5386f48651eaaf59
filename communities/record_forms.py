"""The record pages' forms (issue 14): a community's everyday record, edited in the portal by
its clerk, its township's staff and county staff, section by section.

A `Section` gathers the forms and formsets of one page, bound to a POST or not, checks them
together and saves them in one transaction, each record with the user in its history. What
a user may change comes from communities.permissions alone: the section's models (`can_add`,
`can_change`, `can_delete`) and the fields they may not change (`readonly_fields`: a clerk's
fixed fields of their community, the sample-data flags for all but county staff), which the
forms leave out, so a posted value for them is ignored. The rows come from the community
itself: a record of another community cannot be posted into a formset.
"""

import datetime

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import MinValueValidator
from django.db import transaction
from django.forms.models import BaseInlineFormSet, inlineformset_factory
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from chunan_community import phones
from chunan_community.errors import error_summary
from chunan_community.forms import PortalForm, PortalModelForm
from chunan_community.templatetags.portal_text import CJK, colon
from communities.access import access_for
from communities.models import (
    CoBuildingPairing,
    CoBuildingUnit,
    Community,
    Facility,
    FacilityKind,
    GovernanceBody,
    Honour,
    PartyBranch,
    Term,
)
from communities.permissions import can_add, can_change, can_delete, in_scope, readonly_fields
from communities.queries import CHANGE_KINDS, change_kind_label

# Blank rows at the end of a list, to add a record (save, and another blank row comes).
EXTRA_ROWS = 1
# Rows a formset takes at most, whatever its management form says.
MAX_ROWS = 200


def date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _label(model, name):
    return capfirst(model._meta.get_field(name).verbose_name)


def _not_negative(field):
    field.validators.append(MinValueValidator(0))
    field.widget.attrs["min"] = "0"


class ListedChoiceField(forms.ChoiceField):
    """A choice among `records` fetched once for every row of a formset (a ModelChoiceField
    would ask its table again for each row, to show it and to check it); cleans to the
    record, or None."""

    def __init__(self, *, records, empty_label="---------", **kwargs):
        self.records = {str(record.pk): record for record in records}

        def choices():
            # Named only when a select shows them (a hidden row id never does).
            return [("", empty_label), *((key, str(r)) for key, r in self.records.items())]

        super().__init__(choices=choices, **kwargs)

    def prepare_value(self, value):
        return str(value.pk) if hasattr(value, "pk") else value

    def to_python(self, value):
        key = super().to_python(value)
        if key in self.empty_values:
            return None
        if key not in self.records:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": key},
            )
        return self.records[key]

    def validate(self, value):
        if value is None and self.required:
            raise ValidationError(self.error_messages["required"], code="required")

    def has_changed(self, initial, data):
        initial = self.prepare_value(initial)
        return str("" if initial is None else initial) != str(data or "")


class RecordForm(PortalModelForm):
    """A form of a record page: without the fields the user may not change."""

    def __init__(self, *args, user, **kwargs):
        # A label's colon in the page's language: full width after Chinese.
        kwargs.setdefault("label_suffix", colon(""))
        super().__init__(*args, **kwargs)
        self.user = user
        for name in readonly_fields(user, self._meta.model):
            self.fields.pop(name, None)
        if not (get_language() or "").startswith("zh"):
            # Chinese text in a text area of an English page is marked as Chinese (WCAG
            # 3.1.2); text boxes hold theirs in an attribute, which needs no mark.
            for name, field in self.fields.items():
                if isinstance(field.widget, forms.Textarea) and CJK.search(
                    str(self[name].value() or "")
                ):
                    field.widget.attrs["lang"] = "zh-Hans"


class RowForm(RecordForm):
    """A row of a formset. A stored row left as it was is not checked again: only the rows
    typed in cost a query (the uniqueness checks), however long the list."""

    def _post_clean(self):
        if self.instance.pk is not None and not self.has_changed():
            return
        super()._post_clean()


class RowFormSet(BaseInlineFormSet):
    """The rows of one record of the community (its terms, its branches...)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", self.rows(kwargs["instance"]))
        super().__init__(*args, **kwargs)

    def add_fields(self, form, index):
        super().add_fields(form, index)
        # A row's id must be one of these rows (Django checks it against the whole table,
        # with a query per row): another community's record is refused, in no query.
        name = self._pk_field.name
        form.fields[name] = ListedChoiceField(
            records=self.get_queryset(),
            required=False,
            widget=forms.HiddenInput,
            initial=form.fields[name].initial,
        )

    def rows(self, instance):
        return self.model._default_manager.none()


# ---------- Basic information and contacts ----------


class CommunityForm(RecordForm):
    class Meta:
        model = Community
        fields = [
            "name",
            "name_en",
            "founded_year",
            "founded_on",
            "address",
            "office_phone",
            "contact_person",
            "households",
            "residents",
            "description",
            "figures_are_sample",
        ]
        widgets = {
            "founded_on": date_input(),
            "office_phone": forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
            "description": forms.Textarea(attrs={"rows": 6}),
        }

    def clean_office_phone(self):
        # Full-width digits, dashes and brackets, as a Chinese input method types them, are
        # the same number.
        phone = phones.typed(self.cleaned_data["office_phone"])
        return " ".join(phone.split())


class PremisesForm(RecordForm):
    class Meta:
        model = Community
        fields = ["premises_area_m2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _not_negative(self.fields["premises_area_m2"])


# ---------- Facilities ----------


class FacilityForm(RecordForm):
    class Meta:
        model = Facility
        fields = ["present", "area_m2", "note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _not_negative(self.fields["area_m2"])
        self.fields["area_m2"].widget.attrs["step"] = "0.1"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("area_m2") is not None and not cleaned.get("present"):
            self.add_error(
                "area_m2", _("Tick “present” to give the area, or leave the area empty.")
            )
        return cleaned


# ---------- Governance bodies and terms ----------


class BodyForm(RecordForm):
    class Meta:
        model = GovernanceBody
        fields = ["name", "party_level"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.kind == GovernanceBody.Kind.PARTY:
            self.fields["party_level"].required = True
            self.fields["party_level"].help_text = ""
        else:
            del self.fields["party_level"]


class TermForm(RowForm):
    class Meta:
        model = Term
        fields = ["number", "elected_on", "starts_on", "ends_on", "members", "is_sample"]
        widgets = {name: date_input() for name in ("elected_on", "starts_on", "ends_on")}
        help_texts = {"number": ""}

    def clean(self):
        cleaned = super().clean()
        elected, starts, ends = (cleaned.get(n) for n in ("elected_on", "starts_on", "ends_on"))
        if starts and ends and ends <= starts:
            self.add_error("ends_on", _("A term ends after it starts."))
        if elected and starts and elected > starts:
            self.add_error("elected_on", _("The election comes before the term starts."))
        return cleaned


class TermFormSet(RowFormSet):
    def rows(self, instance):
        return Term.objects.filter(body=instance).order_by("-starts_on", "-number")


# ---------- Party branches ----------


class BranchForm(RowForm):
    class Meta:
        model = PartyBranch
        fields = ["name", "is_building_level", "members", "is_sample"]


class BranchFormSet(RowFormSet):
    def rows(self, instance):
        return PartyBranch.objects.filter(organisation=instance).order_by("name", "pk")


# ---------- Co-building pairings ----------


class PairingForm(RowForm):
    class Meta:
        model = CoBuildingPairing
        fields = ["unit", "party_branch", "started_on", "ended_on", "contribution", "is_sample"]
        widgets = {"started_on": date_input(), "ended_on": date_input()}

    def __init__(self, *args, units, branches, **kwargs):
        super().__init__(*args, **kwargs)
        for name, records, required in (
            ("unit", units, True),
            ("party_branch", branches, False),
        ):
            old = self.fields[name]
            self.fields[name] = ListedChoiceField(
                records=records, label=old.label, required=required, help_text=old.help_text
            )

    def clean(self):
        cleaned = super().clean()
        started, ended = cleaned.get("started_on"), cleaned.get("ended_on")
        if started and ended and ended <= started:
            self.add_error("ended_on", _("A pairing ends after it starts."))
        return cleaned


class PairingFormSet(RowFormSet):
    def rows(self, instance):
        return (
            CoBuildingPairing.objects.filter(community=instance)
            .select_related("unit", "party_branch__organisation")
            .order_by("-started_on", "pk")
        )


# ---------- Honours ----------


class HonourForm(RowForm):
    class Meta:
        model = Honour
        fields = ["title", "level", "year", "awarding_body"]


class HonourFormSet(RowFormSet):
    def rows(self, instance):
        return Honour.objects.filter(community=instance).order_by("-year", "title", "pk")


def row_formset(parent, model, form, formset, user, **kwargs):
    """The formset class for `model`'s rows under `parent`: the user's delete box only where
    they may delete (POLICY), one blank row to add a record."""
    return inlineformset_factory(
        parent,
        model,
        form=form,
        formset=formset,
        fields=form._meta.fields,
        extra=EXTRA_ROWS,
        can_delete=can_delete(user, model),
        can_delete_extra=False,
        max_num=MAX_ROWS,
        absolute_max=MAX_ROWS,
        **kwargs,
    )


# ---------- The sections ----------


def _write(record, user, *, delete=False) -> None:
    """Save (or delete) one record with the user in its history, once more checking that the
    user may, on the record as it will be stored (PermissionDenied otherwise)."""
    model = type(record)
    if delete:
        allowed = can_delete(user, model, record)
    elif record._state.adding:
        allowed = can_add(user, model) and in_scope(access_for(user), record)
    else:
        allowed = can_change(user, model, record)
    if not allowed:
        raise PermissionDenied
    record._history_user = user
    if delete:
        record.delete()
    else:
        record.save()


def _in_row(label, items):
    return [
        {
            "id": item["id"],
            "text": gettext("%(field)s: %(error)s") % {"field": label, "error": item["text"]},
        }
        for item in items
    ]


class Section:
    """The forms of one record page. Subclasses say which models the page changes (the
    user must be allowed to change them all) and build `parts`: (label, form or formset)."""

    slug = ""
    label = ""
    models: tuple = ()
    template = ""

    def __init__(self, community, user, data=None):
        self.community, self.user, self.data = community, user, data
        self.parts = self.build()

    def build(self) -> list:
        raise NotImplementedError

    @classmethod
    def allowed(cls, user) -> bool:
        return all(can_change(user, model) for model in cls.models)

    @classmethod
    def url(cls, community) -> str:
        return reverse(f"communities:edit_{cls.slug}", kwargs={"code": community.code})

    def form(self, form_class, instance, prefix=None, **kwargs):
        if kwargs.get("empty_permitted"):
            # A record not stored yet, added only if something is typed for it.
            kwargs["use_required_attribute"] = False
        return form_class(self.data, instance=instance, prefix=prefix, user=self.user, **kwargs)

    def formset(self, formset_class, instance, prefix, **form_kwargs):
        return formset_class(
            self.data,
            instance=instance,
            prefix=prefix,
            form_kwargs={"user": self.user, **form_kwargs},
        )

    def is_valid(self) -> bool:
        # Every part checked (no short cut), so that the page shows every error at once.
        valid = [part.is_valid() for _label, part in self.parts]
        return all(valid)

    def error_summary(self) -> list[dict]:
        """The errors of every part, each linking to its field, with the row it is in."""
        summary = []
        for label, part in self.parts:
            if not part.is_bound:
                continue
            if isinstance(part, forms.BaseForm):
                items = error_summary(part)
                summary += _in_row(label, items) if label else items
                continue
            summary += _in_row(label, [{"id": None, "text": e} for e in part.non_form_errors()])
            for number, form in enumerate(part.forms, start=1):
                items = error_summary(form, link_form_errors=True)
                for item in items:
                    item["text"] = (
                        gettext("Row %(row)s, %(error)s") % {"row": number, "error": item["text"]}
                        if form.instance.pk
                        else gettext("New row, %(error)s") % {"error": item["text"]}
                    )
                summary += _in_row(label, items) if label else items
        return summary

    def save(self) -> int:
        """Write what was changed, all or nothing; the number of records written."""
        written = 0
        with transaction.atomic():
            for _label, part in self.parts:
                if isinstance(part, forms.BaseForm):
                    if part.has_changed():
                        _write(part.save(commit=False), self.user)
                        written += 1
                    continue
                for record in part.save(commit=False):
                    _write(record, self.user)
                    written += 1
                for record in part.deleted_objects:
                    _write(record, self.user, delete=True)
                    written += 1
        return written


class BasicSection(Section):
    slug = "basic"
    label = _("Basic information and contacts")
    models = (Community,)
    template = "communities/record/basic.html"
    GROUPS = (
        (_("Office contacts"), ("office_phone", "contact_person", "address")),
        (_("Households and residents"), ("households", "residents", "figures_are_sample")),
        (_("Name and founding"), ("name", "name_en", "founded_year", "founded_on")),
        (_("Public profile"), ("description",)),
    )
    # Shown, not edited here: the community's place in the registry, the county's to change
    # (in the admin); for a clerk also what CLERK_READONLY_COMMUNITY_FIELDS keeps from them.
    FIXED = ("code", "township", "status", "name", "name_en", "founded_year", "founded_on")

    def build(self):
        self.main = self.form(CommunityForm, self.community)
        return [(None, self.main)]

    def groups(self):
        form = self.main
        found = [
            (legend, [form[name] for name in names if name in form.fields])
            for legend, names in self.GROUPS
        ]
        return [(legend, fields) for legend, fields in found if fields]

    def fixed(self):
        """(label, value) of the community's fields shown on the page but not in its form."""
        community, shown = self.community, []
        for name in self.FIXED:
            if name in self.main.fields:
                continue
            value = {
                "township": community.township.local_name,
                "status": community.get_status_display(),
            }.get(name, getattr(community, name))
            if value in (None, ""):
                continue
            if isinstance(value, datetime.date):
                value = date_format(value, "DATE_FORMAT")
            shown.append((_label(Community, name), value))
        return shown


class FacilitiesSection(Section):
    slug = "facilities"
    label = _("Facilities and areas")
    models = (Community, Facility)
    template = "communities/record/facilities.html"

    def build(self):
        self.premises = self.form(PremisesForm, self.community)
        stored = {f.kind: f for f in Facility.objects.filter(community=self.community)}
        self.rows = []
        for kind in FacilityKind:
            facility = stored.get(kind) or Facility(community=self.community, kind=kind)
            facility.community = self.community
            form = self.form(
                FacilityForm, facility, prefix=f"facility-{kind}", empty_permitted=not facility.pk
            )
            self.rows.append((kind.label, form))
        return [(None, self.premises), *self.rows]

    def area_total(self):
        return sum(
            (
                form.instance.area_m2
                for _l, form in self.rows
                if form.instance.present and form.instance.area_m2
            ),
            start=0,
        )


class BodiesSection(Section):
    slug = "bodies"
    label = _("Bodies and terms")
    models = (GovernanceBody, Term)
    template = "communities/record/bodies.html"

    def build(self):
        stored = {b.kind: b for b in GovernanceBody.objects.filter(community=self.community)}
        formset_class = row_formset(GovernanceBody, Term, TermForm, TermFormSet, self.user)
        self.blocks, parts = [], []
        for kind in GovernanceBody.Kind:
            body = stored.get(kind) or GovernanceBody(community=self.community, kind=kind)
            body.community = self.community
            form = self.form(BodyForm, body, prefix=f"body-{kind}", empty_permitted=not body.pk)
            terms = None
            if body.pk:
                terms = self.formset(formset_class, body, f"terms-{kind}")
                # The blank row is the next term: 第 N+1 届 (unchanged until more is typed).
                numbers = [term.number for term in terms.get_queryset()]
                terms.initial_extra = [{"number": max(numbers, default=0) + 1}]
            self.blocks.append({"kind": kind, "body": body, "form": form, "terms": terms})
            parts.append((kind.label, form))
            if terms is not None:
                parts.append((body.name, terms))
        return parts


class BranchesSection(Section):
    slug = "branches"
    label = _("Party branches")
    models = (PartyBranch,)
    template = "communities/record/branches.html"

    def build(self):
        self.party = GovernanceBody.objects.filter(
            community=self.community, kind=GovernanceBody.Kind.PARTY
        ).first()
        if self.party is None:
            self.branches = None
            return []
        self.party.community = self.community
        formset_class = row_formset(
            GovernanceBody,
            PartyBranch,
            BranchForm,
            BranchFormSet,
            self.user,
            fk_name="organisation",
        )
        self.branches = self.formset(formset_class, self.party, "branches")
        return [(None, self.branches)]


class PairingsSection(Section):
    slug = "pairings"
    label = _("Co-building pairings")
    models = (CoBuildingPairing,)
    template = "communities/record/pairings.html"

    def build(self):
        branches = list(
            PartyBranch.objects.filter(organisation__community=self.community)
            .select_related("organisation")
            .order_by("name")
        )
        formset_class = row_formset(
            Community, CoBuildingPairing, PairingForm, PairingFormSet, self.user
        )
        self.pairings = self.formset(
            formset_class,
            self.community,
            "pairings",
            units=list(CoBuildingUnit.objects.order_by("name")),
            branches=branches,
        )
        return [(None, self.pairings)]


class HonoursSection(Section):
    slug = "honours"
    label = _("Honours")
    models = (Honour,)
    template = "communities/record/honours.html"

    def build(self):
        formset_class = row_formset(Community, Honour, HonourForm, HonourFormSet, self.user)
        self.honours = self.formset(formset_class, self.community, "honours")
        return [(None, self.honours)]


SECTIONS = (
    BasicSection,
    FacilitiesSection,
    BodiesSection,
    BranchesSection,
    PairingsSection,
    HonoursSection,
)


def sections_for(user, community) -> list[dict]:
    """The record pages the user may open for this community: label and address."""
    return [
        {"slug": section.slug, "label": section.label, "url": section.url(community)}
        for section in SECTIONS
        if section.allowed(user)
    ]


class ChangesFilterForm(PortalForm):
    """The change history's filter: one kind of record, or all."""

    kind = forms.ChoiceField(label=_("Kind of record"), required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", colon(""))
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [
            ("", _("All records")),
            *((kind, change_kind_label(kind)) for kind in CHANGE_KINDS),
        ]
