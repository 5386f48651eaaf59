"""The record pages (issue 14): a community's everyday record edited in the portal, section
by section (record_forms.SECTIONS), and the record's change history.

Who may open a page: staff (else 403) whose scope holds the community (else 404), and, for
an edit page, whose role may change what the section holds (POLICY; else 403: a clerk and
the honours, which are the township's and the county's to record).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from chunan_community.forms import posted
from chunan_community.paging import paginate
from communities.models import Community
from communities.permissions import can_change, get_community_for_user, staff_access
from communities.queries import describe_changes, record_history
from communities.record_forms import (
    BasicSection,
    BodiesSection,
    BranchesSection,
    ChangesFilterForm,
    FacilitiesSection,
    HonoursSection,
    PairingsSection,
    sections_for,
)


def _edit(request, code, section_class):
    staff_access(request.user)
    community = get_community_for_user(request.user, code, write=True)
    if not section_class.allowed(request.user):
        raise PermissionDenied
    section = section_class(community, request.user, posted(request))
    if request.method == "POST" and section.is_valid():
        if section.save():
            messages.success(request, _("Saved: %(section)s.") % {"section": section_class.label})
        else:
            messages.info(request, _("Nothing was changed."))
        return redirect(community.get_workspace_url())
    return render(
        request,
        section.template,
        {
            "community": community,
            "section": section,
            "forms": [part for _label, part in section.parts],
            "sections": sections_for(request.user, community),
            "error_summary": section.error_summary() if section.data is not None else [],
        },
    )


def _edit_view(section_class):
    @login_required
    @require_http_methods(["GET", "HEAD", "POST"])
    def view(request, code):
        return _edit(request, code, section_class)

    view.__name__ = view.__qualname__ = f"edit_{section_class.slug}"
    view.__doc__ = f"The record page “{section_class.slug}”: its forms, saved together."
    return view


edit_basic = _edit_view(BasicSection)
edit_facilities = _edit_view(FacilitiesSection)
edit_bodies = _edit_view(BodiesSection)
edit_branches = _edit_view(BranchesSection)
edit_pairings = _edit_view(PairingsSection)
edit_honours = _edit_view(HonoursSection)


@login_required
@require_safe
def record_changes(request, code):
    """Every change to the community's record, newest first: who, when, what changed."""
    staff_access(request.user)
    community = get_community_for_user(request.user, code)
    form = ChangesFilterForm(request.GET or None)
    kind = (form.cleaned_data["kind"] if form.is_valid() else "") or None
    page = paginate(request, record_history(community, kind))
    return render(
        request,
        "communities/record/changes.html",
        {
            "community": community,
            "sections": sections_for(request.user, community)
            if can_change(request.user, Community, community)
            else [],
            "form": form,
            "kind": kind,
            "page": page,
            "changes": describe_changes(page.object_list),
        },
    )
