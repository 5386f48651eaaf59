"""The registry's part of a person's to-do list (chunan_community.worklist): term elections
falling due, and the communities whose office space is below the standard."""

import datetime

from django.urls import reverse
from django.utils.translation import gettext as _

from chunan_community.figures import cell_text
from chunan_community.worklist import Task, Work, work_from
from communities.access import COUNTY, TOWNSHIP
from communities.queries import below_space_standard, terms_due


def registry_work(user, access, today: datetime.date) -> list[Work]:
    if not access.keeps_registry:
        return []
    works = [_terms_due(user, today)]
    if access.role in (COUNTY, TOWNSHIP):
        works.append(_below_standard(user))
    return works


def _terms_due(user, today) -> Work:
    return work_from(
        terms_due(user, today=today),
        lambda body: Task(
            what=_("Prepare the election of %(body)s: term %(number)s ends")
            % {"body": body.name, "number": body.term_number},
            url=body.community.get_workspace_url(),
            community=body.community.local_name,
            due=body.term_ends,
        ),
        kind="communities.terms",
        heading=_("Term elections falling due"),
        all_url=reverse("communities:terms_due"),
    )


def _below_standard(user) -> Work:
    return work_from(
        below_space_standard(user),
        lambda community: Task(
            what=_("Plan %(gap)s m² more office and activity space")
            % {"gap": cell_text(round(community.space_gap))},
            url=community.get_workspace_url(),
            community=community.local_name,
        ),
        kind="communities.space",
        heading=_("Office and activity space below the standard"),
        all_url=reverse("communities:space_standard"),
    )
