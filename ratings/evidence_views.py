"""Evidence files of declarations: upload, remove, and serving them to those who may see them.

Evidence is never served by the web server from MEDIA_ROOT: every byte goes through
evidence_file / evidence_thumbnail, which check who asks. Files are served as every stored
file of the portal (chunan_community.uploads.file_response): with their stored content type,
nosniff and a sandboxing Content-Security-Policy; documents only as downloads.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from chunan_community.errors import Refused
from chunan_community.uploads import FileRefused, file_response
from ratings import uploads
from ratings.evidence_forms import EvidenceForm
from ratings.models import Declaration, Evidence
from ratings.permissions import get_declaration_for_evidence, get_evidence_for_user
from ratings.staff_views import declaration_page


def _declaration_url(declaration: Declaration) -> str:
    return reverse(
        "ratings:declaration_edit",
        kwargs={"code": declaration.round.code, "community": declaration.community.code},
    )


@login_required
@require_POST
def evidence_add(request, declaration):
    """Add one file (with its caption) to a declaration's evidence; back to the declaration.
    A refused file is shown on the declaration page again, summed up at its top (400)."""
    declaration = get_declaration_for_evidence(request.user, declaration)
    form = EvidenceForm(request.POST, request.FILES, auto_id="id_evidence_%s")
    if form.is_valid():
        try:
            evidence = uploads.evidence_add(
                declaration=declaration,
                upload=form.cleaned_data["file"],
                caption=form.cleaned_data["caption"],
                by=request.user,
            )
        except FileRefused as refused:
            form.add_error("file", refused.message)
        except Refused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(
                request, _("“%(name)s” is added to the evidence.") % {"name": evidence}
            )
            return redirect(_declaration_url(declaration) + "#evidence-files")
    return declaration_page(
        request,
        declaration.round,
        declaration.community,
        declaration,
        evidence_form=form,
        status=400,
    )


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


def _serve(evidence: Evidence, stored, content_type: str) -> FileResponse:
    return file_response(
        stored,
        content_type=content_type,
        name=uploads.download_name(evidence),
        # Old clients read only filename=: an ASCII name, the original one when it is ASCII.
        fallback=f"evidence-{evidence.pk}{uploads.extension(evidence)}",
        inline=evidence.kind == Evidence.Kind.IMAGE,
        cache_control="private, max-age=3600",
    )


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
