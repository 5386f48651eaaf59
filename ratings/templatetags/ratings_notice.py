"""What the notice partials on a round's public page need, computed where they are included,
so that the results view stays as it is."""

from django import template
from django.utils import timezone

from ratings.models import Objection
from ratings.notice_forms import ObjectionForm
from ratings.objections import notice_is_open

register = template.Library()


@register.simple_tag
def notice_open(round):
    """Is the round accepting opinions today?"""
    return notice_is_open(round, timezone.localdate())


@register.simple_tag(takes_context=True)
def objection_form_for(context, round):
    """The bound form when a page re-shows it with errors, else an empty one."""
    return context.get("objection_form") or ObjectionForm(round=round)


@register.simple_tag
def published_objections(round):
    """The round's published opinions with their replies, oldest first (one query).
    Only what the public may see: never the sender's name or contact."""
    return list(
        Objection.objects.filter(round=round, status=Objection.Status.PUBLISHED)
        .select_related("community")
        # Personal data and the internal record are not even read for the public page.
        .defer("name", "contact", "sender_hash", "handling")
        .order_by("submitted_at", "pk")
    )
