"""The reports' pages: for staff, each report built from the records as they are now (page,
A4 print, .xlsx, .docx) and published by county staff; for everyone, the published reports
(统计信息), each written from its frozen snapshot.

Who builds what: county staff every report, for the county or a township; township staff
their own township's yearly report and the county's circular; nobody else (403). The public
reads a report from its publication day; county staff also open one scheduled for later.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from chunan_community.documents import Document, document_docx, document_workbook
from chunan_community.errors import Refused, errors_response
from chunan_community.paging import paginate
from chunan_community.public_cache import public_page
from chunan_community.spreadsheets import xlsx_response
from communities.access import COUNTY, TOWNSHIP, access_for
from communities.permissions import overseer_access
from reports import publishing
from reports.forms import CHOICE_FORMS, PublicFilter, PublishForm
from reports.live import live_document
from reports.models import Kind, Publication

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Which role builds which report.
BUILDERS = {
    Kind.YEARLY: {COUNTY, TOWNSHIP},
    Kind.BULLETIN: {COUNTY},
    Kind.CIRCULAR: {COUNTY, TOWNSHIP},
}


def kinds_for(role) -> list[str]:
    return [kind for kind, roles in BUILDERS.items() if role in roles]


def _kind(kind: str) -> Kind:
    try:
        return Kind(kind)
    except ValueError:
        raise Http404 from None


def _choice(request, kind: str):
    """The staff member's access, the kind, its choice form (always bound) and, when valid,
    the report as of today."""
    access = overseer_access(request.user)
    kind = _kind(kind)
    if access.role not in BUILDERS[kind]:
        raise PermissionDenied
    today = timezone.localdate()
    form = CHOICE_FORMS[kind](request.GET, access=access, today=today)
    document = None
    if form.is_valid():
        document = live_document(publishing.build, kind, today=today, **_months_and_area(form))
    return access, kind, form, document


def _months_and_area(form) -> dict:
    data = form.cleaned_data
    return {
        "first_month": data["first_month"],
        "last_month": data["last_month"],
        "township": data["township"],
    }


def _filename(document: Document, extension: str) -> str:
    return f"{document.heading}.{extension}"


def docx_response(document: Document) -> HttpResponse:
    response = HttpResponse(document_docx(document), content_type=DOCX_CONTENT_TYPE)
    response.headers["Content-Disposition"] = content_disposition_header(
        True, _filename(document, "docx")
    )
    return response


# ---------------------------------------------------------------------------- staff


@login_required
@require_safe
def manage(request):
    """The reports staff may build, and every published report with its versions."""
    access = overseer_access(request.user)
    today = timezone.localdate()
    publications = Publication.objects.select_related("township").defer("document")
    if access.role == TOWNSHIP:
        # The county's reports and their own township's.
        publications = publications.filter(
            Q(township__isnull=True) | Q(township_id=access.township_id)
        )
    return render(
        request,
        "reports/manage.html",
        {
            "kinds": [(kind, Kind(kind).label) for kind in kinds_for(access.role)],
            "page": paginate(request, publications),
            "today": today,
        },
    )


def _report_page(request, kind, template, *, publish_form=None, refusal="", status=200):
    access, kind, form, document = _choice(request, kind)
    context = {
        "kind": kind,
        "form": form,
        "document": document,
        "query": request.GET.urlencode(),
        "refusal": refusal,
    }
    if document is not None and access.is_county:
        context["publish_form"] = publish_form or PublishForm(today=timezone.localdate())
        context["versions"] = list(
            publishing.series(kind, **_months_and_area(form)).defer("document")
        )
    if document is None:
        status = 400
    return render(request, template, context, status=status)


@login_required
@require_safe
def report(request, kind):
    """A report as the records stand today, with its print, .xlsx and .docx links, and for
    county staff the box to publish it."""
    return _report_page(request, kind, "reports/report.html")


@login_required
@require_safe
def report_print(request, kind):
    """The same report alone on a page, laid out for A4."""
    return _report_page(request, kind, "reports/report_print.html")


@login_required
@require_safe
def report_xlsx(request, kind):
    *_choice_of, form, document = _choice(request, kind)
    if document is None:
        return errors_response(form)
    return xlsx_response(_filename(document, "xlsx"), document_workbook(document))


@login_required
@require_safe
def report_docx(request, kind):
    *_choice_of, form, document = _choice(request, kind)
    if document is None:
        return errors_response(form)
    return docx_response(document)


@login_required
@require_POST
def report_publish(request, kind):
    """Publish the report chosen by the posted year, township or period (county staff)."""
    access = overseer_access(request.user)
    if not access.is_county:
        raise PermissionDenied
    kind = _kind(kind)
    today = timezone.localdate()
    choice = CHOICE_FORMS[kind](request.POST, access=access, today=today)
    form = PublishForm(request.POST, today=today)
    # The page shows the report chosen in the post, whatever the address's query says.
    request.GET = request.POST.copy()
    if not (choice.is_valid() and form.is_valid()):
        return _report_page(request, kind, "reports/report.html", publish_form=form, status=400)
    try:
        publication = publishing.publish(
            kind,
            **_months_and_area(choice),
            number=form.cleaned_data["number"],
            published_on=form.cleaned_data["published_on"],
            note=form.cleaned_data["note"],
            user=request.user,
            today=today,
        )
    except Refused as refused:
        return _report_page(
            request,
            kind,
            "reports/report.html",
            publish_form=form,
            refusal=refused.message,
            status=409,
        )
    if publication.published_on > today:
        message = _("Scheduled: the public sees “%(title)s” from %(date)s.")
    else:
        message = _("Published: “%(title)s” is on the statistics page and the home page now.")
    messages.success(
        request,
        message
        % {
            "title": publication.title,
            "date": date_format(publication.published_on, "DATE_FORMAT"),
        },
    )
    return redirect(publication)


# ---------------------------------------------------------------------------- public


@require_safe
@public_page
def publication_list(request):
    """The published reports (统计信息), newest first: of each, its newest version."""
    today = timezone.localdate()
    form = PublicFilter(request.GET, years=publishing.public_years(today))
    reports = publishing.public_reports(today)
    if form.is_valid():
        if form.cleaned_data["kind"]:
            reports = reports.filter(kind=form.cleaned_data["kind"])
        if form.cleaned_data["year"]:
            reports = reports.filter(first_month__year=form.cleaned_data["year"])
    return render(
        request,
        "reports/publication_list.html",
        {"form": form, "page": paginate(request, reports)},
        status=200 if form.is_valid() else 400,
    )


def _readable(request, pk) -> Publication:
    """A report the user may read today: a public one (any version), or for county staff
    any (a preview of one scheduled for later); else Http404."""
    today = timezone.localdate()
    publications = Publication.objects.select_related("township")
    if not access_for(request.user).is_county:
        publications = publications.public(today)
    return get_object_or_404(publications, pk=pk)


@require_safe
@public_page
def publication(request, pk):
    """A published report as it was published, with its versions."""
    return _publication_page(request, pk, "reports/publication.html")


@require_safe
@public_page
def publication_print(request, pk):
    return _publication_page(request, pk, "reports/publication_print.html")


def _publication_page(request, pk, template):
    today = timezone.localdate()
    publication = _readable(request, pk)
    versions = publishing.series(
        publication.kind,
        first_month=publication.first_month,
        last_month=publication.last_month,
        township=publication.township,
    ).defer("document")
    if not access_for(request.user).is_county:
        versions = versions.public(today)
    return render(
        request,
        template,
        {
            "publication": publication,
            "document": publication.as_document,
            "versions": list(versions.order_by("-version")),
            "scheduled": publication.published_on > today,
        },
    )


@login_not_required
@require_safe
def publication_xlsx(request, pk):
    document = _readable(request, pk).as_document
    return xlsx_response(_filename(document, "xlsx"), document_workbook(document))


@login_not_required
@require_safe
def publication_docx(request, pk):
    return docx_response(_readable(request, pk).as_document)
