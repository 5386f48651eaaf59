"""Evidence files of declarations: upload, remove, and serving them to those who may see them.

Evidence is never served by the web server from MEDIA_ROOT: every byte goes through
evidence_file / evidence_thumbnail, which check who asks. Files are served with their stored
content type, nosniff and a sandboxing Content-Security-Policy; documents only as downloads.
"""

from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from chunan_community.errors import Refused
from ratings import uploads
from ratings.evidence_forms import EvidenceForm
from ratings.models import Declaration, Evidence
from ratings.permissions import get_declaration_for_evidence, get_evidence_for_user

FILE_CSP = "default-src 'none'; sandbox"


def _declaration_url(declaration: Declaration) -> str:
    return reverse(
        "ratings:declaration_edit",
        kwargs={"code": declaration.round.code, "community": declaration.community.code},
    )


@login_required
@require_POST
def evidence_add(request, declaration):
    """Add one file (with its caption) to a declaration's evidence; back to the declaration."""
    declaration = get_declaration_for_evidence(request.user, declaration)
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
        except Refused as refused:
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
    declaration = get_declaration_for_evidence(request.user, evidence.declaration_id)
    try:
        uploads.evidence_remove(evidence=evidence, by=request.user)
    except Refused as refused:
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
