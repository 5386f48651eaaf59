"""The registry's admin, scoped along the county → township → community tree.

Every admin here asks `communities.permissions` rather than Django's model permissions (a
user's role is their `UserScope`): querysets are filtered with `scope_q`, object checks use
`can_view`/`can_add`/`can_change`/`can_delete`, and foreign-key choices are limited to rows
the user may see, which is also the server-side check since a ModelChoiceField validates
against its queryset. Saves and deletes check the scope once more before they write.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    AdminUserCreationForm,
    SetUnusablePasswordMixin,
    UserChangeForm,
)
from django.contrib.auth.models import Group
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import transaction
from django.http import Http404
from django.utils.html import format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from chunan_community.admin_paging import EstimatedCountPaginator
from chunan_community.errors import Refused
from chunan_community.forms import PortalModelForm, VisibleTextMixin
from chunan_community.months import parse_month
from chunan_community.spreadsheets import csv_response
from communities import permissions
from communities.access import access_for
from communities.models import (
    CoBuildingPairing,
    CoBuildingUnit,
    Community,
    Facility,
    Formation,
    FormerArea,
    GovernanceBody,
    Honour,
    Indicator,
    IndicatorGroup,
    IndicatorRule,
    MonthlyReturn,
    PartyBranch,
    Ratio,
    Restructuring,
    ReturnEvent,
    ReturnImport,
    ReturnValue,
    Term,
    Township,
    UserScope,
)
from communities.returns.domain import available_transitions, return_accept
from notifications.account_events import send_set_password_link

User = get_user_model()


def _check_formset_scope(request, formset):
    """Refuse (PermissionDenied) an inline save that would write outside the user's scope."""
    user, model = request.user, formset.model
    access = access_for(user)
    deleted = formset.deleted_forms
    for form in deleted:
        if form.instance.pk is not None and not permissions.can_delete(user, model, form.instance):
            raise PermissionDenied
    fk = getattr(formset, "fk", None)
    for form in formset.forms:
        if form in deleted or not form.has_changed():
            continue
        obj = form.instance
        if fk is not None:
            # What BaseInlineFormSet.save_new() does: on an add view the parent only now has a pk.
            setattr(obj, fk.name, formset.instance)
        if obj._state.adding:
            allowed = permissions.can_add(user, model) and permissions.in_scope(access, obj)
        else:
            allowed = permissions.can_change(user, model, obj)
        if not allowed:
            raise PermissionDenied


class ScopedChoicesMixin:
    """Foreign-key choices limited to the rows of the related model the user may see."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.related_model
        if related in permissions.POLICY and "queryset" not in kwargs:
            queryset = self.get_field_queryset(None, db_field, request)
            if queryset is None:
                queryset = related._default_manager.all()
            kwargs["queryset"] = queryset.filter(
                permissions.scope_q(access_for(request.user), related)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ScopedModelAdmin(ScopedChoicesMixin, admin.ModelAdmin):
    """A model's admin: rows, permissions, choices and writes within the user's scope."""

    # Text fields refuse invisible and text-direction characters, as in the portal.
    form = PortalModelForm

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(permissions.scope_q(access_for(request.user), self.model))
        )

    def get_object(self, request, object_id, from_field=None):
        # A 404 rather than the admin's "does not exist" redirect, for rows outside the scope
        # as for missing ones: nobody learns which records exist elsewhere.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj

    def get_readonly_fields(self, request, obj=None):
        # A clerk's fixed fields of their community, the sample-data flags for all but the
        # county: the same rule as the portal's record pages (permissions.readonly_fields).
        readonly = tuple(super().get_readonly_fields(request, obj))
        extra = permissions.readonly_fields(request.user, self.model)
        return readonly + tuple(name for name in extra if name not in readonly)

    # Permissions: the user's place in the tree, not Django's model permissions.
    def has_module_permission(self, request):
        return permissions.can_view(request.user, self.model)

    def has_view_permission(self, request, obj=None):
        return permissions.can_view(request.user, self.model, obj)

    def has_add_permission(self, request):
        return permissions.can_add(request.user, self.model)

    def has_change_permission(self, request, obj=None):
        return permissions.can_change(request.user, self.model, obj)

    def has_delete_permission(self, request, obj=None):
        return permissions.can_delete(request.user, self.model, obj)

    # Writes: check the record as it will be stored, whatever the form let through.
    def save_model(self, request, obj, form, change):
        if change:
            allowed = permissions.can_change(request.user, self.model, obj)
        else:
            allowed = permissions.can_add(request.user, self.model) and permissions.in_scope(
                access_for(request.user), obj
            )
        if not allowed:
            raise PermissionDenied
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        _check_formset_scope(request, formset)
        super().save_formset(request, form, formset, change)

    def delete_model(self, request, obj):
        if not permissions.can_delete(request.user, self.model, obj):
            raise PermissionDenied
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        scoped = queryset.filter(permissions.scope_q(access_for(request.user), self.model))
        if not permissions.can_delete(request.user, self.model) or (
            scoped.count() != queryset.count()
        ):
            raise PermissionDenied
        super().delete_queryset(request, queryset)


class ScopedAdmin(ScopedModelAdmin, SimpleHistoryAdmin):
    """A registry model's scoped admin, with its audit history (django-simple-history).

    Audit history is for county staff only.
    """

    # Audit history: county staff only. Others learn nothing about records outside their scope.
    def _history_object_or_404(self, request, object_id):
        if not access_for(request.user).is_county:
            # County staff also reach the history of deleted records; others only live ones.
            self.get_object(request, unquote(object_id))

    def has_view_history_permission(self, request, obj=None):
        # No object check: the county's scope is the whole tree, and a deleted record's
        # history may point at rows that no longer exist.
        return access_for(request.user).is_county and self.has_view_permission(request)

    def has_change_history_permission(self, request, obj=None):
        return access_for(request.user).is_county and self.has_change_permission(request)

    def has_view_history_or_change_history_permission(self, request, obj=None):
        return self.has_view_history_permission(request, obj) or (
            self.has_change_history_permission(request, obj)
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        # The History link (templates/admin/change_form_object_tools.html) only for those
        # who may open the page behind it, rather than a 403 there.
        context["hide_history_link"] = not self.has_view_history_or_change_history_permission(
            request, obj
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def history_view(self, request, object_id, extra_context=None):
        self._history_object_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._history_object_or_404(request, object_id)
        # simple_history lets a POST through with view permission alone; a revert is a change,
        # and save_model() checks the reverted record's scope.
        if request.method == "POST" and not self.has_change_history_permission(request):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class ScopedInline(ScopedChoicesMixin, admin.TabularInline):
    """An inline whose rows, choices and permissions follow the same rules as its admin."""

    extra = 0
    form = PortalModelForm

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(permissions.scope_q(access_for(request.user), self.model))
        )

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        extra = permissions.readonly_fields(request.user, self.model)
        return readonly + tuple(name for name in extra if name not in readonly)

    def _parent_in_scope(self, request, obj):
        if obj is None or self.parent_model not in permissions.POLICY:
            return True
        return permissions.can_view(request.user, self.parent_model, obj)

    def has_view_permission(self, request, obj=None):
        return permissions.can_view(request.user, self.model) and self._parent_in_scope(
            request, obj
        )

    def has_add_permission(self, request, obj=None):
        return permissions.can_add(request.user, self.model) and self._parent_in_scope(request, obj)

    def has_change_permission(self, request, obj=None):
        return permissions.can_change(request.user, self.model) and self._parent_in_scope(
            request, obj
        )

    def has_delete_permission(self, request, obj=None):
        return permissions.can_delete(request.user, self.model) and self._parent_in_scope(
            request, obj
        )


# Inlines


class FacilityInline(ScopedInline):
    model = Facility
    fields = ("kind", "present", "area_m2", "note")


class GovernanceBodyInline(ScopedInline):
    model = GovernanceBody
    fields = ("kind", "party_level", "name")
    show_change_link = True


class CoBuildingPairingInline(ScopedInline):
    model = CoBuildingPairing
    fields = ("unit", "party_branch", "started_on", "ended_on", "contribution", "is_sample")
    autocomplete_fields = ("unit", "party_branch")


class HonourInline(ScopedInline):
    model = Honour
    fields = ("title", "level", "year", "awarding_body")


class TermInline(ScopedInline):
    model = Term
    fields = ("number", "elected_on", "starts_on", "ends_on", "members", "is_sample")


class PartyBranchInline(ScopedInline):
    model = PartyBranch
    fields = ("name", "is_building_level", "members", "is_sample")


class FormationInline(ScopedInline):
    model = Formation
    fields = ("former_area", "community")
    autocomplete_fields = ("former_area", "community")


# Registry admins


@admin.register(Township)
class TownshipAdmin(ScopedAdmin):
    list_display = ("name", "name_en", "code", "kind", "sort_order")
    list_filter = ("kind",)
    search_fields = ("name", "name_en", "code")
    fields = ("code", "name", "name_en", "kind", "sort_order")


@admin.register(Community)
class CommunityAdmin(ScopedAdmin):
    list_display = (
        "name",
        "code",
        "township",
        "status",
        "households",
        "residents",
        "premises_area_m2",
        "meets_space_standard",
        "figures_are_sample",
    )
    list_select_related = ("township",)
    list_filter = (
        ("township", admin.RelatedOnlyFieldListFilter),
        "status",
        "figures_are_sample",
    )
    search_fields = ("name", "name_en", "code", "township__name", "address")
    readonly_fields = ("space_required", "space_shortfall")
    fieldsets = (
        (None, {"fields": ("code", "name", "name_en", "township", "status")}),
        (_("Founding"), {"fields": ("founded_year", "founded_on")}),
        (
            _("Households and premises"),
            {
                "fields": (
                    "address",
                    "households",
                    "residents",
                    "premises_area_m2",
                    "space_required",
                    "space_shortfall",
                    "figures_are_sample",
                )
            },
        ),
        (_("Public profile"), {"fields": ("description",)}),
    )
    inlines = (FacilityInline, GovernanceBodyInline, CoBuildingPairingInline, HonourInline)
    actions = ("export_csv",)

    @admin.display(description=_("meets the space standard"), boolean=True)
    def meets_space_standard(self, obj):
        return obj.meets_space_standard

    @admin.display(description=_("premises required (m²)"))
    def space_required(self, obj):
        return obj.space_required_m2

    @admin.display(description=_("shortfall (m²)"))
    def space_shortfall(self, obj):
        return obj.space_shortfall_m2

    @admin.action(description=_("Export selected communities as CSV"), permissions=["view"])
    def export_csv(self, request, queryset):
        fields = (
            "code",
            "name",
            "name_en",
            "township",
            "status",
            "founded_year",
            "households",
            "residents",
            "premises_area_m2",
            "figures_are_sample",
        )
        header = [capfirst(Community._meta.get_field(f).verbose_name) for f in fields]
        rows = []
        for community in queryset.select_related("township"):
            row = [getattr(community, f) for f in fields]
            row[fields.index("status")] = community.get_status_display()
            rows.append(row)
        return csv_response("communities.csv", [header, *rows])


@admin.register(Restructuring)
class RestructuringAdmin(ScopedAdmin):
    list_display = ("name", "township", "effective_year", "effective_on")
    list_select_related = ("township",)
    list_filter = (("township", admin.RelatedOnlyFieldListFilter), "effective_year")
    search_fields = ("name", "township__name", "description")
    fields = ("township", "name", "effective_year", "effective_on", "description")
    inlines = (FormationInline,)


@admin.register(FormerArea)
class FormerAreaAdmin(ScopedAdmin):
    list_display = ("name", "township", "is_sample")
    list_select_related = ("township",)
    list_filter = (("township", admin.RelatedOnlyFieldListFilter), "is_sample")
    search_fields = ("name", "township__name")
    fields = ("township", "name", "is_sample")


@admin.register(Formation)
class FormationAdmin(ScopedAdmin):
    list_display = ("former_area", "community", "restructuring")
    list_select_related = ("former_area", "community", "restructuring")
    list_filter = (
        ("restructuring", admin.RelatedOnlyFieldListFilter),
        ("community__township", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = (
        "former_area__name",
        "community__name",
        "community__code",
        "restructuring__name",
    )
    autocomplete_fields = ("restructuring", "former_area", "community")
    fields = ("restructuring", "former_area", "community")


@admin.register(GovernanceBody)
class GovernanceBodyAdmin(ScopedAdmin):
    list_display = ("name", "community", "kind", "party_level")
    list_select_related = ("community",)
    list_filter = (
        "kind",
        "party_level",
        ("community__township", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("name", "community__name", "community__code")
    autocomplete_fields = ("community",)
    fields = ("community", "kind", "party_level", "name")

    def get_inlines(self, request, obj):
        # Party branches hang only under a Party organisation (PartyBranch.organisation's
        # limit_choices_to, which an inline's parent key does not check).
        if obj is not None and obj.kind == GovernanceBody.Kind.PARTY:
            return (TermInline, PartyBranchInline)
        return (TermInline,)


@admin.register(PartyBranch)
class PartyBranchAdmin(ScopedAdmin):
    list_display = (
        "name",
        "organisation",
        "organisation__community",
        "is_building_level",
        "members",
        "is_sample",
    )
    list_select_related = ("organisation__community",)
    list_filter = (
        "is_building_level",
        "is_sample",
        ("organisation__community__township", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = (
        "name",
        "organisation__name",
        "organisation__community__name",
        "organisation__community__code",
    )
    autocomplete_fields = ("organisation",)
    fields = ("organisation", "name", "is_building_level", "members", "is_sample")


@admin.register(Term)
class TermAdmin(ScopedAdmin):
    list_display = (
        "body",
        "body__community",
        "number",
        "elected_on",
        "starts_on",
        "ends_on",
        "members",
        "is_sample",
    )
    list_select_related = ("body__community",)
    list_filter = (
        "body__kind",
        ("body__community__township", admin.RelatedOnlyFieldListFilter),
        "is_sample",
    )
    search_fields = ("body__name", "body__community__name", "body__community__code")
    autocomplete_fields = ("body",)
    date_hierarchy = "ends_on"
    fields = ("body", "number", "elected_on", "starts_on", "ends_on", "members", "is_sample")


@admin.register(CoBuildingUnit)
class CoBuildingUnitAdmin(ScopedAdmin):
    list_display = ("name", "kind", "address")
    list_filter = ("kind",)
    search_fields = ("name", "address")
    fields = ("name", "kind", "address")


@admin.register(CoBuildingPairing)
class CoBuildingPairingAdmin(ScopedAdmin):
    list_display = ("unit", "community", "party_branch", "started_on", "ended_on", "is_sample")
    list_select_related = ("unit", "community", "party_branch")
    list_filter = (("community__township", admin.RelatedOnlyFieldListFilter), "is_sample")
    search_fields = ("unit__name", "community__name", "community__code", "contribution")
    autocomplete_fields = ("unit", "community", "party_branch")
    fields = (
        "unit",
        "community",
        "party_branch",
        "started_on",
        "ended_on",
        "contribution",
        "is_sample",
    )


@admin.register(Honour)
class HonourAdmin(ScopedAdmin):
    list_display = ("title", "community", "level", "year", "awarding_body")
    list_select_related = ("community",)
    list_filter = ("level", ("community__township", admin.RelatedOnlyFieldListFilter), "year")
    search_fields = ("title", "awarding_body", "community__name", "community__code")
    autocomplete_fields = ("community",)
    fields = ("community", "title", "level", "year", "awarding_body")


@admin.register(Facility)
class FacilityAdmin(ScopedAdmin):
    list_display = ("community", "kind", "present", "area_m2", "note")
    list_select_related = ("community",)
    list_filter = (
        "kind",
        "present",
        ("community__township", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = ("community__name", "community__code", "note")
    autocomplete_fields = ("community",)
    fields = ("community", "kind", "present", "area_m2", "note")


@admin.register(UserScope)
class UserScopeAdmin(ScopedAdmin):
    list_display = ("user", "role", "township", "community")
    list_select_related = ("user", "township", "community")
    list_filter = ("role", ("township", admin.RelatedOnlyFieldListFilter))
    search_fields = ("user__username", "user__first_name", "user__last_name")
    autocomplete_fields = ("user", "community")
    fields = ("user", "role", "township", "community")


# Accounts: county staff (and superusers) manage people and their roles; nobody else sees them.


class UserScopeInline(ScopedInline):
    model = UserScope
    fields = ("role", "township", "community")
    autocomplete_fields = ("community",)


def _is_county(request):
    return access_for(request.user).is_county


admin.site.unregister(User)
admin.site.unregister(Group)


class UserForm(VisibleTextMixin, UserChangeForm):
    """Django's user form; the names refuse invisible characters, as the portal's forms do."""


def _name_password_choices(field, disabled):
    """Django labels the choices "Enabled" and "Disabled": these forms say what the choice
    does, in words of their own."""
    field.choices = [("true", _("Enabled")), ("false", disabled)]


class PasswordForm(VisibleTextMixin, AdminPasswordChangeForm):
    """Django's form for setting another user's password."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "usable_password" in self.fields:
            _name_password_choices(
                self.fields["usable_password"], _("Disabled: no log-in with a password")
            )


class NewUserForm(VisibleTextMixin, AdminUserCreationForm):
    """Django's new-user form, likewise, with the e-mail address: an account created with
    password-based authentication disabled is e-mailed a link to set its own password
    (notifications.account_events), so that no password is passed on by hand."""

    usable_password = SetUnusablePasswordMixin.create_usable_password_field(
        help_text=_(
            "Disabled: the person is e-mailed a link to choose their own password, and "
            "nobody else ever knows it; give their e-mail address above. Enabled: you choose "
            "the first password here and pass it on to them."
        )
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "usable_password" in self.fields:
            _name_password_choices(
                self.fields["usable_password"], _("Disabled: e-mail a link to set the password")
            )
        if "email" in self.fields:
            self.fields["email"].help_text = _(
                "Needed when password-based authentication is disabled: the link to set the "
                "password is sent here. Reminders are sent here too."
            )

    def clean(self):
        # Read before Django's clean, which takes the choice out of cleaned_data.
        link = self.cleaned_data.get("usable_password") == "false"
        cleaned = super().clean()
        if (
            link
            and "email" in self.fields
            and not cleaned.get("email")
            and "email" not in self.errors
        ):
            self.add_error(
                "email",
                _(
                    "Enter the person's e-mail address: with password-based "
                    "authentication disabled, the link to set a password is sent to it."
                ),
            )
        return cleaned


@admin.register(User)
class ChunanUserAdmin(UserAdmin):
    form = UserForm
    add_form = NewUserForm
    change_password_form = PasswordForm
    inlines = (UserScopeInline,)
    list_display = ("username", "first_name", "last_name", "role", "place", "is_staff", "is_active")
    list_select_related = ("scope__township", "scope__community")
    list_filter = ("scope__role", "is_staff", "is_active", "is_superuser")
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "usable_password", "password1", "password2"),
            },
        ),
    )
    actions = ("send_set_password_links",)
    # Django's own permission machinery stays with the superusers: a county account that
    # could set these could make itself a superuser.
    superuser_only_fields = ("is_superuser", "groups", "user_permissions")

    def has_module_permission(self, request):
        return _is_county(request)

    def has_view_permission(self, request, obj=None):
        return _is_county(request)

    def has_add_permission(self, request):
        return _is_county(request)

    def has_change_permission(self, request, obj=None):
        return _is_county(request) and self._may_touch(request, obj)

    def has_delete_permission(self, request, obj=None):
        return _is_county(request) and self._may_touch(request, obj)

    def _may_touch(self, request, obj):
        """Only a superuser changes a superuser's account (and so its password)."""
        return obj is None or not obj.is_superuser or request.user.is_superuser

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if not request.user.is_superuser:
            return (*readonly, *self.superuser_only_fields)
        return readonly

    def save_formset(self, request, form, formset, change):
        _check_formset_scope(request, formset)
        super().save_formset(request, form, formset, change)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change and not obj.has_usable_password() and obj.email:
            messages.info(
                request,
                _("A link to set the password is e-mailed to %(email)s.") % {"email": obj.email},
            )

    @admin.action(permissions=["change"], description=_("Send a link to set the password"))
    def send_set_password_links(self, request, queryset):
        """E-mail each chosen active account a link to set its password (a new one, or one
        forgotten by someone who cannot reach the log-in page's link)."""
        sent, no_email, disabled, superusers = [], [], [], []
        with transaction.atomic():
            for user in queryset.order_by("username"):
                if not self._may_touch(request, user):
                    superusers.append(user.get_username())
                elif not user.is_active:
                    disabled.append(user.get_username())
                elif send_set_password_link(user):
                    sent.append(user.get_username())
                else:
                    no_email.append(user.get_username())
        if sent:
            messages.success(
                request,
                ngettext(
                    "A link to set the password was e-mailed to %(count)d account.",
                    "A link to set the password was e-mailed to %(count)d accounts.",
                    len(sent),
                )
                % {"count": len(sent)},
            )
        if no_email:
            messages.warning(
                request,
                _(
                    "No link was sent to %(names)s: no e-mail address. Enter the address on "
                    "the account, then send the link again."
                )
                % {"names": "、".join(no_email)},
            )
        if disabled:
            messages.warning(
                request,
                _("No link was sent to %(names)s: the account is disabled.")
                % {"names": "、".join(disabled)},
            )
        if superusers:
            messages.warning(
                request,
                _("No link was sent to %(names)s: only a superuser may change a superuser.")
                % {"names": "、".join(superusers)},
            )

    @admin.display(description=_("role"), ordering="scope__role")
    def role(self, obj):
        try:
            return obj.scope.get_role_display()
        except ObjectDoesNotExist:
            return None

    @admin.display(description=_("township or community"))
    def place(self, obj):
        try:
            scope = obj.scope
        except ObjectDoesNotExist:
            return None
        return scope.community or scope.township


@admin.register(Group)
class ChunanGroupAdmin(GroupAdmin):
    """Groups carry Django permissions, which the registry does not use: superusers edit them."""

    def has_module_permission(self, request):
        return _is_county(request)

    def has_view_permission(self, request, obj=None):
        return _is_county(request)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


# Monthly returns. The indicator catalogue is the county's (others may read it). Returns, their
# values and events are read-only here for everyone: they change only through
# communities.returns.domain, in the portal, and the county's admin actions call the same functions.


class IndicatorAdminForm(PortalModelForm):
    class Meta:
        model = Indicator
        fields = (
            "code",
            "name",
            "name_en",
            "group",
            "sort_order",
            "help_text",
            "value_type",
            "unit",
            "minimum",
            "maximum",
            "required",
            "aggregation",
            "active_from",
            "active_to",
        )


class IndicatorRuleInline(ScopedInline):
    model = IndicatorRule
    fk_name = "left"
    fields = ("operator", "right", "message")
    verbose_name_plural = _("cross-field rules on this indicator")


@admin.register(IndicatorGroup)
class IndicatorGroupAdmin(ScopedAdmin):
    list_display = ("name", "name_en", "code", "sort_order")
    search_fields = ("name", "name_en", "code")
    fields = ("code", "name", "name_en", "sort_order")


@admin.register(Indicator)
class IndicatorAdmin(ScopedAdmin):
    form = IndicatorAdminForm
    list_display = (
        "code",
        "name",
        "group",
        "unit",
        "value_type",
        "minimum",
        "maximum",
        "required",
        "active_from",
        "active_to",
    )
    list_select_related = ("group",)
    list_filter = ("group", "value_type", "required")
    search_fields = ("code", "name", "name_en")
    fieldsets = (
        (None, {"fields": ("code", "name", "name_en", "group", "sort_order", "help_text")}),
        (_("Figures"), {"fields": ("value_type", "unit", "minimum", "maximum", "required")}),
        (_("In force"), {"fields": ("active_from", "active_to")}),
    )
    inlines = (IndicatorRuleInline,)


@admin.register(IndicatorRule)
class IndicatorRuleAdmin(ScopedAdmin):
    list_display = ("left", "operator", "right", "message")
    list_select_related = ("left", "right")
    search_fields = ("left__code", "left__name", "right__code", "right__name", "message")
    autocomplete_fields = ("left", "right")
    fields = ("left", "operator", "right", "message")


@admin.register(Ratio)
class RatioAdmin(ScopedAdmin):
    """Derived indicators (派生指标): the county's, like the indicators they are made of."""

    list_display = (
        "code",
        "name",
        "group",
        "numerator",
        "denominator",
        "factor",
        "unit",
        "decimal_places",
    )
    list_select_related = ("group", "numerator", "denominator")
    list_filter = ("group",)
    search_fields = ("code", "name", "name_en")
    autocomplete_fields = ("numerator", "denominator")
    fieldsets = (
        (None, {"fields": ("code", "name", "name_en", "group", "sort_order", "help_text")}),
        (
            _("Figures"),
            {"fields": ("numerator", "denominator", "factor", "unit", "decimal_places")},
        ),
    )


class PeriodFilter(admin.SimpleListFilter):
    """The months that have returns in the user's scope, newest first."""

    title = _("month")
    parameter_name = "month"
    field = "period"

    def lookups(self, request, model_admin):
        months = (
            model_admin.get_queryset(request).order_by().dates(self.field, "month", order="DESC")
        )
        return [(f"{month:%Y-%m}", f"{month:%Y-%m}") for month in months]

    def queryset(self, request, queryset):
        period = parse_month(self.value() or "")
        if period is None:
            return queryset
        return queryset.filter(**{self.field: period})


class EventPeriodFilter(PeriodFilter):
    field = "monthly_return__period"


class ReturnValueInline(ScopedInline):
    model = ReturnValue
    fields = ("indicator", "value", "comment")
    readonly_fields = fields

    def get_queryset(self, request):
        # The row labels name the return (its community) and the indicator.
        return (
            super()
            .get_queryset(request)
            .select_related("monthly_return__community", "indicator__group")
        )


class ReturnEventInline(ScopedInline):
    model = ReturnEvent
    fields = ("at", "action", "from_status", "to_status", "by", "reason")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("monthly_return__community", "by")


@admin.register(MonthlyReturn)
class MonthlyReturnAdmin(ScopedModelAdmin):
    list_display = (
        "community",
        "community__township",
        "month",
        "status",
        "is_late",
        "submitted_at",
        "approved_at",
        "accepted_at",
        "is_sample",
    )
    list_select_related = ("community__township",)
    list_filter = (
        PeriodFilter,
        "status",
        ("community__township", admin.RelatedOnlyFieldListFilter),
        "is_late",
        "is_sample",
    )
    search_fields = ("community__name", "community__name_en", "community__code")
    show_full_result_count = False  # big table: chunan_community.admin_paging
    paginator = EstimatedCountPaginator
    fields = (
        "community",
        "period",
        "status",
        "version",
        "is_late",
        "submitted_at",
        "approved_at",
        "accepted_at",
        "open_until",
        "updated_at",
        "updated_by",
        "is_sample",
    )
    readonly_fields = ("updated_at",)
    inlines = (ReturnValueInline, ReturnEventInline)
    actions = ("accept_returns",)

    @admin.display(description=_("month"), ordering="period")
    def month(self, obj):
        return f"{obj.period:%Y-%m}"

    def has_accept_permission(self, request):
        """County staff accept returns; the domain checks each return once more."""
        return access_for(request.user).is_county

    @admin.action(description=_("Accept the selected approved returns"), permissions=["accept"])
    def accept_returns(self, request, queryset):
        accepted, left = 0, []
        for monthly_return in queryset.select_related("community"):
            if "accept" not in available_transitions(request.user, monthly_return):
                left.append(monthly_return)
                continue
            try:
                return_accept(monthly_return=monthly_return, by=request.user)
            except Refused as refusal:
                self.message_user(request, f"{monthly_return}: {refusal.message}", messages.ERROR)
            else:
                accepted += 1
        if accepted:
            self.message_user(
                request,
                ngettext(
                    "%(count)d return accepted and locked.",
                    "%(count)d returns accepted and locked.",
                    accepted,
                )
                % {"count": accepted},
                messages.SUCCESS,
            )
        if left:
            self.message_user(
                request,
                _(
                    "Only returns approved by the township can be accepted; left as they "
                    "are: %(returns)s."
                )
                % {"returns": ", ".join(f"{r} ({r.get_status_display()})" for r in left)},
                messages.WARNING,
            )


@admin.register(ReturnEvent)
class ReturnEventAdmin(ScopedModelAdmin):
    list_display = ("monthly_return", "action", "from_status", "to_status", "by", "at", "reason")
    list_select_related = ("monthly_return__community", "by")
    list_filter = (
        "action",
        EventPeriodFilter,
        ("monthly_return__community__township", admin.RelatedOnlyFieldListFilter),
    )
    search_fields = (
        "monthly_return__community__name",
        "monthly_return__community__code",
        "reason",
    )
    show_full_result_count = False  # big table: chunan_community.admin_paging
    paginator = EstimatedCountPaginator
    fields = ("monthly_return", "action", "from_status", "to_status", "by", "at", "reason")
    readonly_fields = ("at",)


@admin.register(ReturnImport)
class ReturnImportAdmin(admin.ModelAdmin):
    """Uploaded workbooks, for county staff to look into an import: read-only."""

    list_display = (
        "file_name",
        "uploaded_by",
        "uploaded_at",
        "status",
        "row_count",
        "error_count",
        "applied_at",
    )
    list_select_related = ("uploaded_by",)
    list_filter = ("status",)
    search_fields = ("file_name", "uploaded_by__username")
    fields = (
        "file_name",
        "uploaded_by",
        "uploaded_at",
        "status",
        "applied_at",
        "row_count",
        "error_list",
    )
    readonly_fields = fields

    def has_module_permission(self, request):
        return _is_county(request)

    def has_view_permission(self, request, obj=None):
        return _is_county(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("rows"))
    def row_count(self, obj):
        return len(obj.rows)

    @admin.display(description=_("errors"))
    def error_count(self, obj):
        return len(obj.errors)

    @admin.display(description=_("errors"))
    def error_list(self, obj):
        """Each error with its cell, as the preview showed it (e.g. "C5: ...")."""
        return format_html_join(
            "\n",
            "<div>{}{}: {}</div>",
            (
                (error.get("column", ""), error.get("row", ""), error.get("message", ""))
                for error in obj.errors
            ),
        )
