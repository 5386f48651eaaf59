"""Opinions and objections sent by the public during a round's notice (公示), and their
moderation by county staff.

The sender's network address is used only for the rate limit, and only as a keyed hash
(HMAC-SHA256 with SECRET_KEY): the address itself is never stored.
"""

import datetime
import hashlib
import hmac

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from chunan_community.errors import Refused
from communities.access import COUNTY
from communities.models import Community
from communities.queries import active_staff
from notifications.models import Kind
from notifications.notify import email_to, notify
from ratings.domain import round_actions
from ratings.models import Declaration, Objection, Rating, Round, RoundStatus

TEXT_MIN = 5
TEXT_MAX = 2000
RATE_WINDOW = datetime.timedelta(hours=1)


class RateLimited(Refused):
    """Too many opinions from one address within RATE_WINDOW."""


def sender_fingerprint(address: str) -> str:
    """The keyed hash that stands for a sender's address (64 hex digits)."""
    return hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()


def objection_communities(round: Round):
    """The communities an opinion may concern: those that declared (and did not withdraw)
    or were rated in this round."""
    declared = Declaration.objects.filter(round=round).exclude(
        status__in=[Declaration.Status.DRAFT, Declaration.Status.WITHDRAWN]
    )
    rated = Rating.objects.filter(round=round)
    return (
        Community.objects.filter(
            Q(pk__in=declared.values("community_id")) | Q(pk__in=rated.values("community_id"))
        )
        .select_related("township")
        .order_by("township__code", "code")
    )


def notice_is_open(round: Round, today: datetime.date) -> bool:
    return (
        round.status == RoundStatus.NOTICE
        and round.notice_starts_on is not None
        and round.notice_ends_on is not None
        and round.notice_starts_on <= today <= round.notice_ends_on
    )


def open_notices(today: datetime.date):
    """The rounds whose public notice is open today (notice_is_open), the soonest to end
    first: what the home page announces."""
    return Round.objects.filter(
        status=RoundStatus.NOTICE, notice_starts_on__lte=today, notice_ends_on__gte=today
    ).order_by("notice_ends_on", "code")


def objection_refusal(round: Round, today: datetime.date) -> str | None:
    """Why opinions on this round are not accepted today, or None while the notice is open."""
    if notice_is_open(round, today):
        return None
    if (
        round.status == RoundStatus.NOTICE
        and round.notice_starts_on
        and today < round.notice_starts_on
    ):
        return _(
            "The public notice of this round has not started yet: opinions are accepted "
            "from %(start)s."
        ) % {"start": date_format(round.notice_starts_on)}
    return _("The public notice of this round is closed: opinions are no longer accepted.")


@transaction.atomic
def objection_submit(
    *,
    round: Round,
    community: Community | None,
    text: str,
    name: str = "",
    contact: str = "",
    sender: str,
    today: datetime.date | None = None,
) -> Objection:
    """Store an opinion, waiting for moderation (status pending).

    Refuses (Refused) outside the notice period, for a community not in the round,
    or for a text shorter than TEXT_MIN or longer than TEXT_MAX characters; refuses with
    RateLimited when the sender's address sent CHUNAN_OBJECTIONS_PER_HOUR opinions in the
    last hour. Side effects: one Objection row; the address is kept only as sender_hash;
    county staff are told (Kind.NEW_OPINION), with a link to its moderation.
    """
    today = today or timezone.localdate()
    # The round's row serialises submissions: two opinions from one address racing each
    # other cannot both slip under the rate limit, and a notice closing at the same moment
    # gives one outcome.
    locked = Round.objects.select_for_update().get(pk=round.pk)
    refusal = objection_refusal(locked, today)
    if refusal:
        raise Refused(refusal)
    text = text.strip()
    if not TEXT_MIN <= len(text) <= TEXT_MAX:
        raise Refused(
            _("An opinion must have between %(min)d and %(max)d characters.")
            % {"min": TEXT_MIN, "max": TEXT_MAX}
        )
    if community is not None and not objection_communities(locked).filter(pk=community.pk).exists():
        raise Refused(_("This community was not part of the round."))
    sender_hash = sender_fingerprint(sender)
    since = timezone.now() - RATE_WINDOW
    sent = Objection.objects.filter(sender_hash=sender_hash, submitted_at__gte=since).count()
    if sent >= settings.CHUNAN_OBJECTIONS_PER_HOUR:
        raise RateLimited(
            _(
                "Too many opinions were sent from your address in the last hour. "
                "Please try again later, or write or telephone instead."
            )
        )
    objection = Objection(
        round=locked,
        community=community,
        text=text,
        name=name.strip(),
        contact=contact.strip(),
        sender_hash=sender_hash,
    )
    objection.full_clean()
    objection.save()
    # Who sent it (name, contact) stays on the moderation page: the message says only where.
    notify(
        Kind.NEW_OPINION,
        county_staff(),
        "notifications/messages/ratings_new_opinion.txt",
        {"round": locked, "community": community},
        url=reverse("ratings:objection_moderate", args=[locked.code, objection.pk]),
    )
    return objection


def county_staff() -> list:
    """The county staff who can log in: who moderate the opinions (one query)."""
    return [scope.user for scope in active_staff(COUNTY)]


def reply_address(contact: str) -> str | None:
    """The objector's contact when it is an e-mail address, else None (a telephone number
    or a postal address is answered by hand)."""
    try:
        validate_email(contact)
    except ValidationError:
        return None
    return contact


@transaction.atomic
def objection_moderate(
    *, objection: Objection, status: str, handling: str, public_reply: str, by
) -> Objection:
    """Publish or hide an opinion and record how it was handled, with a public reply.

    Only county staff moderate (round_actions' moderate; Refused otherwise). Side
    effects: the objection's status, handling record, public reply, handled_by and
    handled_at change. A published opinion with a reply whose sender left an e-mail
    address as contact sends them the reply by e-mail (Kind.OPINION_REPLY), once: a reply
    changed later is not sent again.
    """
    if not round_actions(objection.round, by).moderate:
        raise Refused(_("Only county staff moderate opinions."))
    if status not in (Objection.Status.PUBLISHED, Objection.Status.HIDDEN):
        raise Refused(_("Choose whether to publish or hide the opinion."))
    # Two moderators saving at once: the row lock makes the later one win completely.
    locked = Objection.objects.select_for_update().get(pk=objection.pk)
    locked.status = status
    locked.handling = handling.strip()
    locked.public_reply = public_reply.strip()
    locked.handled_by = by
    locked.handled_at = timezone.now()
    locked.full_clean()
    locked.save()
    address = reply_address(locked.contact)
    if locked.status == Objection.Status.PUBLISHED and locked.public_reply and address:
        round_ = objection.round
        email_to(
            address,
            Kind.OPINION_REPLY,
            "notifications/messages/ratings_opinion_reply.txt",
            {"round": round_, "objection": locked},
            url=round_.get_absolute_url() + "#published-objections",
            key=f"opinion_reply:{locked.pk}",
        )
    return locked
