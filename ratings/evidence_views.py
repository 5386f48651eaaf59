"""Evidence files of declarations: upload, remove, and serving them to those who may see them.

Evidence is never served by the web server from MEDIA_ROOT: every byte goes through
evidence_file / evidence_thumbnail, which check who asks. Files are served with their stored
content type, nosniff and a sandboxing Content-Security-Policy; documents only as downloads.
"""

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from communities.access import CLERK, COUNTY, TOWNSHIP, access_for
from ratings import uploads
from ratings.domain import RatingRefused
from ratings.evidence_forms import EvidenceForm
from ratings.models import Declaration, Evidence

FILE_CSP = "default-src 'none'; sandbox"


def get_evidence_for_user(user, pk: int) -> Evidence:
    """An evidence file the user may see, else Http404 (never 403).

    County staff: all; township staff: their township's communities; a clerk: their own
    community's; a judge: the submitted declarations of the rounds on whose panel they sit.
    Nobody else, the public included.
    """
    access = access_for(user)
    evidence = Evidence.objects.select_related("declaration")
    if access.role == COUNTY:
        return get_object_or_404(evidence, pk=pk)
    # Not access.q() alone: for the county it is an empty Q, which an OR would swallow.
    visible = Q(pk__in=[])
    if access.role in (TOWNSHIP, CLERK):
        visible = access.q(Evidence.community_path)
    if user.is_authenticated:
        visible |= Q(
            declaration__round__judges__judge=user,
            declaration__status=Declaration.Status.SUBMITTED,
        )
    return get_object_or_404(evidence.filter(visible).distinct(), pk=pk)


def _declaration_for_writing(user, pk: int) -> Declaration:
    """A declaration whose evidence the user may change: the clerk's own community's, or
    any for the county. Whether it may change now is ratings.uploads' question."""
    access = access_for(user)
    if access.role not in (CLERK, COUNTY):
        raise Http404
    declaration = get_object_or_404(Declaration.objects.select_related("round", "community"), pk=pk)
    if not access.covers(declaration.community):
        raise Http404
    return declaration


def _declaration_url(declaration: Declaration) -> str:
    return reverse(
        "ratings:declaration_edit",
        kwargs={"code": declaration.round.code, "community": declaration.community.code},
    )


@login_required
@require_POST
def evidence_add(request, declaration):
    """Add one file (with its caption) to a declaration's evidence; back to the declaration."""
    declaration = _declaration_for_writing(request.user, declaration)
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        try:
            evidence = uploads.evidence_add(
                declaration=declaration,
                upload=form.cleaned_data["file"],
                caption=form.cleaned_data["caption"],
                by=request.user,
            )
        except RatingRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(
                request, _("“%(name)s” is added to the evidence.") % {"name": evidence}
            )
    return redirect(_declaration_url(declaration) + "#evidence-files")


@login_required
@require_POST
def evidence_remove(request, pk):
    """Remove one file from a declaration's evidence; back to the declaration."""
    evidence = get_object_or_404(Evidence.objects.select_related("declaration"), pk=pk)
    declaration = _declaration_for_writing(request.user, evidence.declaration_id)
    try:
        uploads.evidence_remove(evidence=evidence, by=request.user)
    except RatingRefused as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request, _("“%(name)s” is removed from the evidence.") % {"name": evidence}
        )
    return redirect(_declaration_url(declaration) + "#evidence-files")


def _content_disposition(kind: str, evidence: Evidence) -> str:
    name = uploads.download_name(evidence)
    # Old clients read only filename=: an ASCII name, the original one when it is ASCII.
    fallback = name if name.isascii() else f"evidence-{evidence.pk}{uploads.extension(evidence)}"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _serve(evidence: Evidence, stored, content_type: str) -> FileResponse:
    if not stored:
        raise Http404
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type)
    is_image = evidence.kind == Evidence.Kind.IMAGE
    response["Content-Disposition"] = _content_disposition(
        "inline" if is_image else "attachment", evidence
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cache-Control"] = "private, max-age=3600"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@login_required
@require_safe
def evidence_file(request, pk):
    """The file itself: a photo inline, a document as a download."""
    evidence = get_evidence_for_user(request.user, pk)
    return _serve(evidence, evidence.file, evidence.content_type)


@login_required
@require_safe
def evidence_thumbnail(request, pk):
    """A photo's thumbnail (documents have none: 404)."""
    evidence = get_evidence_for_user(request.user, pk)
    return _serve(evidence, evidence.thumbnail, evidence.content_type)
