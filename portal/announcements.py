"""The county's announcements (通知公告): who may write them, their writes, the reads of
the public pages, and the call for declarations a round publishes when it opens them.

An announcement is public from its publication date on (published_on <= today) until it is
withdrawn; without a date it is a draft. County staff alone write, schedule and withdraw
them, in the portal (/manage/announcements/). Every write goes through the functions below.
"""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from chunan_community import uploads
from chunan_community.errors import Refused
from communities.access import access_for
from portal.models import Announcement
from ratings.models import RoundStatus

# The home page lists the newest few; the list page has them all.
HOME_COUNT = 5
# What a list shows of each announcement: its body is not read.
LISTED = ("pk", "title", "published_on", "attachment", "is_sample", "created_at")


# ---------- Who may ----------


def announcement_manager(user) -> None:
    """The gate of the announcements' staff pages: county staff; everyone else 403."""
    if not access_for(user).is_county:
        raise PermissionDenied


def get_announcement_for_manager(user, pk) -> Announcement:
    """Any announcement, for county staff (403 for anyone else, 404 when there is none)."""
    announcement_manager(user)
    return get_object_or_404(Announcement.objects.select_related("round"), pk=pk)


# ---------- Reads ----------


def latest_public(today: datetime.date, count: int = HOME_COUNT) -> list[Announcement]:
    """The newest `count` announcements public on `today` (the home page's): one query."""
    return list(Announcement.objects.public(today).only(*LISTED)[:count])


def _years(queryset) -> list[int]:
    return sorted(
        {day.year for day in queryset.order_by().dates("published_on", "year")}, reverse=True
    )


def public_years(today: datetime.date) -> list[int]:
    """The years that have public announcements, newest first (the public list's filter)."""
    return _years(Announcement.objects.public(today))


def dated_years() -> list[int]:
    """The years of every dated announcement, newest first (the county's list's filter)."""
    return _years(Announcement.objects.filter(published_on__isnull=False))


def get_public_announcement(pk, today: datetime.date) -> Announcement:
    """The announcement if the public may read it on `today`; else Http404."""
    announcement = Announcement.objects.public(today).select_related("round").filter(pk=pk).first()
    if announcement is None:
        raise Http404
    return announcement


# ---------- Rules ----------


def publication_errors(
    published_on: datetime.date | None,
    *,
    previous: datetime.date | None = None,
    today: datetime.date,
) -> dict[str, str]:
    """Why this publication date cannot be given, by field: a new or changed date lies
    today or later. An announcement says when it was published; it is not backdated. A
    date kept as it was (correcting a published announcement's text) is fine."""
    if published_on is None or published_on == previous or published_on >= today:
        return {}
    return {
        "published_on": _(
            "The publication date cannot be in the past: publish today or choose a later day."
        )
    }


def edit_refusal(announcement: Announcement) -> str | None:
    """Why the announcement can no longer be changed, or None."""
    if announcement.withdrawn_on is not None:
        return _("This announcement was withdrawn: it can no longer be changed.")
    return None


def check_attachment(upload) -> uploads.CheckedFile:
    """Read and check an attachment; FileRefused with the reason if it is refused."""
    return uploads.check_file(
        upload,
        max_bytes=settings.ANNOUNCEMENT_MAX_BYTES,
        max_pixels=settings.EVIDENCE_MAX_PIXELS,
    )


def attachment_download_name(announcement: Announcement) -> str:
    """The attachment's name for the download: as uploaded, with its real extension."""
    return uploads.download_name(announcement.attachment_name, announcement.attachment_type)


# ---------- Writes ----------


def _store(announcement: Announcement, checked, name: str, stored: list) -> None:
    """Write a checked file to the storage as the announcement's attachment; its name is
    noted in `stored`, to be deleted if the row is not saved after all."""
    announcement.attachment.save("attachment", ContentFile(checked.content), save=False)
    stored.append(announcement.attachment.name)
    announcement.attachment_name = uploads.clean_name(name, default="attachment")
    announcement.attachment_type = checked.content_type
    announcement.attachment_size = len(checked.content)


def _discard(names: list[str]) -> None:
    storage = Announcement.attachment.field.storage
    for name in names:
        storage.delete(name)


def _save(announcement: Announcement, by) -> Announcement:
    announcement.full_clean()
    announcement._history_user = by
    announcement.save()
    return announcement


def announcement_create(
    *,
    title: str,
    body: str,
    published_on: datetime.date | None,
    by,
    upload=None,
    round=None,
    today: datetime.date | None = None,
) -> Announcement:
    """Write a new announcement (county staff): a draft without `published_on`, public from
    that day with one (today or later). Returns it.

    The attachment, if any, is checked (check_attachment) before anything is written;
    FileRefused or ValidationError say what is wrong. Side effects: the attachment's file in
    the default storage under a server-generated name (deleted again if the row cannot be
    saved); the announcement's history.
    """
    today = today or timezone.localdate()
    if errors := publication_errors(published_on, today=today):
        raise ValidationError(errors)
    checked = check_attachment(upload) if upload else None
    announcement = Announcement(
        title=title.strip(),
        body=body.strip(),
        published_on=published_on,
        round=round,
        created_by=by,
    )
    stored = []
    try:
        with transaction.atomic():
            if checked is not None:
                _store(announcement, checked, upload.name, stored)
            return _save(announcement, by)
    except BaseException:
        _discard(stored)
        raise


def announcement_update(
    *,
    announcement: Announcement,
    title: str,
    body: str,
    published_on: datetime.date | None,
    by,
    upload=None,
    remove_attachment: bool = False,
    round=None,
    today: datetime.date | None = None,
) -> Announcement:
    """Change an announcement (county staff) that is not withdrawn; returns it.

    A new or changed publication date lies today or later (publication_errors); a new
    `upload` replaces the attachment, `remove_attachment` drops it. Refused (withdrawn
    since), FileRefused or ValidationError say what is wrong. Side effects: the new file
    stored; the replaced or removed one deleted once the change commits; the history.
    """
    today = today or timezone.localdate()
    checked = check_attachment(upload) if upload else None
    stored = []
    try:
        with transaction.atomic():
            # Locked: a withdrawal racing an edit gives one outcome.
            locked = Announcement.objects.select_for_update().get(pk=announcement.pk)
            if refusal := edit_refusal(locked):
                raise Refused(refusal)
            if errors := publication_errors(
                published_on, previous=locked.published_on, today=today
            ):
                raise ValidationError(errors)
            old = locked.attachment.name if locked.attachment else ""
            locked.title, locked.body = title.strip(), body.strip()
            locked.published_on, locked.round = published_on, round
            if checked is not None:
                _store(locked, checked, upload.name, stored)
            elif remove_attachment:
                locked.attachment = ""
                locked.attachment_name = locked.attachment_type = ""
                locked.attachment_size = 0
            _save(locked, by)
            if old and old != (locked.attachment.name if locked.attachment else ""):
                # The replaced file goes once the change is committed, not before.
                storage = Announcement.attachment.field.storage
                transaction.on_commit(lambda: storage.delete(old))
    except BaseException:
        _discard(stored)
        raise
    return locked


@transaction.atomic
def announcement_withdraw(
    *, announcement: Announcement, by, today: datetime.date | None = None
) -> Announcement:
    """Withdraw an announcement (county staff): it leaves the public pages at once, for
    good, and stays in the county's list marked withdrawn. Refused if it is withdrawn
    already. Side effects: withdrawn_on = today, withdrawn_by; the history. The attachment
    is kept (the record of what was announced) but no longer served to the public."""
    today = today or timezone.localdate()
    locked = Announcement.objects.select_for_update().get(pk=announcement.pk)
    if locked.withdrawn_on is not None:
        raise Refused(_("This announcement was withdrawn already."))
    locked.withdrawn_on, locked.withdrawn_by = today, by
    return _save(locked, by)


# ---------- A round's call for declarations ----------


def declaration_call_text(round, today: datetime.date) -> dict[str, str]:
    """The title and text of `round`'s call for declarations, in the portal's language (the
    county's public text, whatever language the staff member's pages are in)."""
    with translation.override(settings.LANGUAGE_CODE):
        opens = date_format(round.declarations_open_on or today, "DATE_FORMAT")
        title = _("Notice on the declarations for the %(year)s community rating") % {
            "year": round.year
        }
        if round.declarations_close_on:
            dates = _("Declarations are open from %(opens)s to %(closes)s.") % {
                "opens": opens,
                "closes": date_format(round.declarations_close_on, "DATE_FORMAT"),
            }
        else:
            dates = _("Declarations are open from %(opens)s; the closing day will follow.") % {
                "opens": opens
            }
        paragraphs = [
            _("To the townships (sub-districts) and the communities' residents' committees:"),
            _(
                "The %(round)s is open for declarations. Each community's residents' "
                "committee may declare the rating it works towards: normative community, "
                "star community (with its number of stars) or garden community."
            )
            % {"round": round.name},
            dates,
            _(
                "The community clerk enters the declaration, with its self-assessment and "
                "evidence (photos, PDF, Word or Excel files), on the portal under “Our "
                "declaration”, and submits it before the closing day. The township's "
                "community-building staff help the communities of their township."
            ),
            _(
                "Each declaring community then presents and defends its work before the "
                "review panel; the proposed results are announced to the public for opinions "
                "before they are confirmed."
            ),
            round.issuing_office,
        ]
    return {"title": title, "body": "\n\n".join(p for p in paragraphs if p)}


def publish_declaration_call(sender, *, round, to_status, by, today, **kwargs) -> None:
    """Receiver of ratings.signals.round_moved: when a round moves into its declarations,
    publish its call for declarations that day, linked to the round, unless an
    announcement of that round (not withdrawn) exists already, e.g. one the county wrote
    itself. Inside the move's transaction, with the round's row locked: two moves cannot
    publish two calls, and a move rolled back publishes none."""
    if to_status != RoundStatus.DECLARATIONS_OPEN:
        return
    if Announcement.objects.filter(round=round, withdrawn_on__isnull=True).exists():
        return
    announcement_create(
        **declaration_call_text(round, today),
        published_on=today,
        round=round,
        by=by,
        today=today,
    )
