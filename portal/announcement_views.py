"""The announcements' pages (通知公告): the public list and each announcement's page with its
attachment, and the county staff's pages to write, schedule and withdraw them.

The public sees an announcement from its publication date until it is withdrawn; before and
after, its page and attachment are 404. County staff may open any announcement's page (a
preview, marked with its status). Every write goes through portal.announcements.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required, login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from chunan_community.errors import Refused, add_domain_errors
from chunan_community.paging import paginate
from chunan_community.public_cache import public_page
from chunan_community.uploads import EXTENSIONS, FileRefused, file_response
from communities.access import access_for
from portal import announcements
from portal.forms import (
    AnnouncementForm,
    ManageAnnouncementFilter,
    PublicAnnouncementFilter,
    WithdrawForm,
)
from portal.models import Announcement, AnnouncementStatus

# ---------- Public ----------


@require_safe
@public_page
def announcement_list(request):
    """Every public announcement, newest first, by year of publication."""
    today = timezone.localdate()
    filterset = PublicAnnouncementFilter(
        request.GET,
        queryset=Announcement.objects.public(today).only(*announcements.LISTED),
        years=announcements.public_years(today),
    )
    return render(
        request,
        "portal/announcement_list.html",
        {"filter": filterset, "page": paginate(request, filterset.qs)},
    )


def _readable(request, pk, today) -> Announcement:
    """The announcement if the user may read it today: a public one, or any for county
    staff (their preview); else Http404."""
    if access_for(request.user).is_county:
        return get_object_or_404(Announcement.objects.select_related("round"), pk=pk)
    return announcements.get_public_announcement(pk, today)


@require_safe
@public_page
def announcement_detail(request, pk):
    """An announcement's own page: its title, date, text, attachment and round."""
    today = timezone.localdate()
    announcement = _readable(request, pk, today)
    return render(
        request,
        "portal/announcement_detail.html",
        {
            "announcement": announcement,
            "status": announcement.status_on(today),
            "download_name": announcements.attachment_download_name(announcement),
        },
    )


@login_not_required
@require_safe
def announcement_file(request, pk):
    """The attachment, as a download under its uploaded name (with its real extension)."""
    announcement = _readable(request, pk, timezone.localdate())
    if not announcement.has_attachment:
        raise Http404
    extension = EXTENSIONS.get(announcement.attachment_type, "")
    return file_response(
        announcement.attachment,
        content_type=announcement.attachment_type,
        name=announcements.attachment_download_name(announcement),
        fallback=f"announcement-{announcement.pk}{extension}",
        inline=False,
        # Asked again each time: a withdrawn announcement's file is gone at once.
        cache_control="no-cache",
    )


# ---------- The county's pages ----------


@login_required
@require_safe
def manage_list(request):
    """Every announcement, drafts and scheduled ones first, then newest first, with its
    status today; filtered by status, year and title."""
    announcements.announcement_manager(request.user)
    today = timezone.localdate()
    filterset = ManageAnnouncementFilter(
        request.GET,
        queryset=Announcement.objects.only(*announcements.LISTED, "withdrawn_on"),
        years=announcements.dated_years(),
        today=today,
    )
    page = paginate(request, filterset.qs)
    for announcement in page:
        announcement.status = announcement.status_on(today)
    return render(
        request,
        "portal/manage/announcement_list.html",
        {"filter": filterset, "page": page, "today": today},
    )


def _form_page(request, form, *, announcement=None, refusal=None, status=200):
    return render(
        request,
        "portal/manage/announcement_form.html",
        {
            "form": form,
            "announcement": announcement,
            "refusal": refusal,
            # A page with errors cannot keep a chosen file: the browser drops it.
            "file_lost": form.is_bound and bool(request.FILES) and not form.is_valid(),
        },
        status=status,
    )


def _saved_message(announcement: Announcement, today) -> str:
    status = announcement.status_on(today)
    if status == AnnouncementStatus.DRAFT:
        return _("Saved as a draft: nobody else sees it until you give it a publication date.")
    if status == AnnouncementStatus.SCHEDULED:
        return _("Scheduled: it will be public from %(date)s.") % {
            "date": date_format(announcement.published_on, "DATE_FORMAT")
        }
    return _("Published: it is on the home page and in the list of announcements now.")


def _save(request, form, write, *, announcement=None):
    """Validate and write through the domain; on any refusal the form comes back whole."""
    if not form.is_valid():
        return _form_page(request, form, announcement=announcement, status=400)
    try:
        saved = write(**form.domain_kwargs(), by=request.user)
    except FileRefused as refused:
        form.add_error("attachment", refused.message)
        return _form_page(request, form, announcement=announcement, status=400)
    except ValidationError as invalid:
        add_domain_errors(form, invalid)
        return _form_page(request, form, announcement=announcement, status=400)
    except Refused as refused:
        return _form_page(
            request, form, announcement=announcement, refusal=refused.message, status=409
        )
    messages.success(request, _saved_message(saved, form.today))
    return redirect("portal:manage_announcements")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def manage_new(request):
    """Write an announcement: published today, scheduled or kept as a draft."""
    announcements.announcement_manager(request.user)
    today = timezone.localdate()
    if request.method != "POST":
        return _form_page(request, AnnouncementForm(today=today, initial={"published_on": today}))
    form = AnnouncementForm(request.POST, request.FILES, today=today)
    return _save(request, form, announcements.announcement_create)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def manage_edit(request, pk):
    """Change an announcement that is not withdrawn: its text, date, attachment, round."""
    announcement = announcements.get_announcement_for_manager(request.user, pk)
    today = timezone.localdate()
    refusal = announcements.edit_refusal(announcement)
    if refusal and request.method != "POST":
        messages.error(request, refusal)
        return redirect("portal:manage_announcements")
    if request.method != "POST":
        form = AnnouncementForm(announcement=announcement, today=today)
        return _form_page(request, form, announcement=announcement)
    form = AnnouncementForm(request.POST, request.FILES, announcement=announcement, today=today)

    def update(**kwargs):
        return announcements.announcement_update(announcement=announcement, **kwargs)

    return _save(request, form, update, announcement=announcement)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def manage_withdraw(request, pk):
    """Withdraw an announcement from the public pages, after a confirmation."""
    announcement = announcements.get_announcement_for_manager(request.user, pk)
    today = timezone.localdate()
    refusal = announcements.edit_refusal(announcement)
    if refusal:
        messages.error(request, refusal)
        return redirect("portal:manage_announcements")
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            announcements.announcement_withdraw(
                announcement=announcement, by=request.user, today=today
            )
        except Refused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(
                request,
                _("“%(title)s” is withdrawn: the public no longer sees it.")
                % {"title": announcement.title},
            )
        return redirect("portal:manage_announcements")
    return render(
        request,
        "portal/manage/announcement_withdraw.html",
        {
            "announcement": announcement,
            "status": announcement.status_on(today),
            "form": form,
        },
        status=400 if form.is_bound else 200,
    )
