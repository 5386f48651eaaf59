"""Who gets which answer at every address of the portal and of the admin (issue 7, "Access").

Every URL pattern is walked as each of eight people: a visitor who is not logged in, a user
with no role, a review-panel judge, the clerk of a community elsewhere, the staff of another
township, the clerk of `home`, the staff of its township (`north`) and county staff. The
answer each should get (200, a 302 to the login page with ?next=, another 302, 403, 404,
405) is declared by hand in the tables below from the access rules of the README, never
asked of the permission code: a rule that changes shows up here as a mismatch to look at.
A URL pattern without an entry fails the coverage test, as does an entry without a pattern;
every mismatch of a walk is reported at once.

Along the way every answer (pages, searches, exports, error pages, the admin) is read for
the personal details of `home`'s household, volunteer and an objection's sender, which only
their own clerk and county staff (the sender's: county staff only) may see.
"""

import contextlib
import datetime
import io
import re
from collections import Counter, deque
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode, urljoin, urlsplit

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict
from django.shortcuts import resolve_url
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from PIL import Image

from communities.models import (
    Formation,
    FormerArea,
    Ratio,
    Restructuring,
    ReturnEvent,
    ReturnImport,
    ReturnStatus,
    UserScope,
)
from notifications.models import Delivery, Kind, Message
from portal import announcements
from ratings import uploads
from ratings.models import (
    ConflictOfInterest,
    Declaration,
    Objection,
    Rating,
    RoundStatus,
    ScoreSheet,
    Tier,
)
from reports import publishing
from reports.circular import last_closed_quarter
from reports.models import Kind as ReportKind
from services.models import (
    AdmissionRequest,
    AssistanceVisit,
    Commendation,
    ContributionPoints,
    HelperPairing,
    ProcessingProject,
    ReemploymentOutcome,
    ServiceNetwork,
    ServiceOutlet,
    TrainingClass,
)
from tests.factories import (
    make_body,
    make_branch,
    make_facility,
    make_honour,
    make_indicator,
    make_pairing,
    make_return,
    make_rule,
    make_term,
    make_unit,
)
from tests.html import soup
from tests.ratings.factories import make_assignment, make_criterion, make_declaration, make_round
from tests.security.urlwalk import (
    NAME_PART,
    PHONE_PART,
    SECRETS,
    SPACED,
    body,
    login,
    make_people,
    patterns,
)

pytestmark = pytest.mark.django_db

ROLES = (
    "anonymous",
    "no_role",
    "judge",
    "other_clerk",
    "other_township",
    "clerk",
    "township",
    "county",
)
STAFF = ("other_clerk", "other_township", "clerk", "township", "county")  # is_staff: the admin

# The walk's size, so that it cannot shrink unnoticed: named URL patterns of the portal,
# models in the admin.
PORTAL_URL_COUNT = 157
ADMIN_MODEL_COUNT = 46

OBJECTOR_NAME = "诸葛明远"
OBJECTOR_PHONE = "13755551234"
# Who may see which personal details: people of `home` (issue #5), an objection's sender.
PEOPLE_SECRETS = SECRETS + SPACED
SECRETS_HIDDEN_FROM = {
    role: (() if role == "county" else (OBJECTOR_NAME, OBJECTOR_PHONE))
    + (() if role in ("clerk", "county") else PEOPLE_SECRETS)
    for role in ROLES
}


# ---------- Answers ----------

OK, DENIED, MISSING, NOT_ALLOWED = 200, 403, 404, 405


@dataclass(frozen=True)
class To:
    """A 302 to this address."""

    url: str


LOGIN = To("the login page, ?next= the address asked for")
ADMIN_LOGIN = To("the admin's login page, ?next= the address asked for")
ALLOWED = None  # a POST this role may make: not walked (the view's own tests do that)


def answers(default, **by_role) -> dict:
    """Every role's answer: `default`, except the roles named."""
    assert set(by_role) <= set(ROLES), set(by_role) - set(ROLES)
    return {role: by_role.get(role, default) for role in ROLES}


def refusals(table) -> dict:
    """A POST's answers from its page's: whoever may open the page may post it."""
    return {role: ALLOWED if answer == OK else answer for role, answer in table.items()}


EVERYONE = answers(OK)
# The three levels that keep the registry: county, township and community staff.
KEEPERS = answers(
    DENIED,
    anonymous=LOGIN,
    other_clerk=OK,
    other_township=OK,
    clerk=OK,
    township=OK,
    county=OK,
)
# A page of `home`: its clerk, its township's staff and the county. A keeper elsewhere gets
# 404, so that nobody learns which codes exist outside their scope.
HOME = {**KEEPERS, "other_clerk": MISSING, "other_township": MISSING}
# Residents' personal data: `home`'s clerk and the county; its township's staff get 403.
HOME_PEOPLE = {**HOME, "township": DENIED}
COUNTY = answers(DENIED, anonymous=LOGIN, county=OK)
# County and township staff: those who oversee communities.
OVERSEERS = answers(DENIED, anonymous=LOGIN, other_township=OK, township=OK, county=OK)
# Anyone logged in, whatever their role.
SIGNED_IN = answers(OK, anonymous=LOGIN)
COUNTY_ELSE_404 = answers(MISSING, anonymous=LOGIN, county=OK)
# GET on an action that only takes a POST.
POST_ONLY = answers(NOT_ALLOWED, anonymous=LOGIN)

WORKSPACE_HOME = "/manage/communities/home/"
WORKSPACE_FAR = "/manage/communities/far/"
RETURN_HOME = "/returns/home/{month}/"


@dataclass(frozen=True)
class Page:
    """A URL pattern's arguments (URL keyword → key of the `world`), each role's answer to a
    GET, and to a POST: None for a page that takes no POST (a POST gets 405), else each
    role's answer, ALLOWED for the roles that may post it."""

    get: dict
    args: dict = field(default_factory=dict)
    post: dict | None = None
    data: dict = field(default_factory=dict)  # a field's name may name a world key: {pairing}
    search: bool = False  # a search box: walked with ?q= a part of a name and of a phone


PORTAL = {
    # The public site, logging in and the language.
    "portal:home": Page(EVERYONE),
    "portal:healthz": Page(EVERYONE),
    "login": Page(EVERYONE, post=answers(ALLOWED)),
    "logout": Page(answers(NOT_ALLOWED), post=answers(ALLOWED)),
    "switch_language": Page(answers(To("/")), args={"code": "en"}),
    "set_language": Page(answers(To("/")), post=answers(ALLOWED)),
    "communities:directory": Page(EVERYONE, search=True),
    "communities:profile": Page(EVERYONE, args={"code": "home"}),
    # Each person's own pages (issue 15): the inbox and its messages (their own only), the
    # contact details, the message settings and the password; the reset pages are public.
    "notifications:inbox": Page(SIGNED_IN),
    "notifications:message": Page(
        answers(MISSING, anonymous=LOGIN, clerk=OK), args={"pk": "message"}
    ),
    "notifications:read_all": Page(POST_ONLY, post=refusals(SIGNED_IN)),
    "notifications:account": Page(SIGNED_IN, post=refusals(SIGNED_IN)),
    "notifications:preferences": Page(SIGNED_IN, post=refusals(SIGNED_IN)),
    "notifications:password_change": Page(SIGNED_IN, post=refusals(SIGNED_IN)),
    "password_reset": Page(EVERYONE, post=answers(ALLOWED)),
    "password_reset_done": Page(EVERYONE),
    "password_reset_confirm": Page(
        EVERYONE, args={"uidb64": "uidb64", "token": "token"}, post=answers(ALLOWED)
    ),
    "password_reset_complete": Page(EVERYONE),
    # The reports the county publishes (issue 16): the public reads the published ones;
    # county and township staff build them (the bulletin is the county's), the county
    # publishes.
    "reports:publications": Page(EVERYONE),
    **{
        f"reports:publication{suffix}": Page(EVERYONE, args={"pk": "publication"})
        for suffix in ("", "_print", "_xlsx", "_docx")
    },
    "reports:manage": Page(OVERSEERS),
    **{
        f"reports:report{suffix}": Page(OVERSEERS, args={"kind": "yearly"})
        for suffix in ("", "_print", "_xlsx", "_docx")
    },
    "reports:report_publish": Page(
        POST_ONLY,
        args={"kind": "circular"},
        post=answers(DENIED, anonymous=LOGIN, county=ALLOWED),
    ),
    # The outbox: county staff.
    "portal:outbox": Page(COUNTY),
    "portal:outbox_detail": Page(COUNTY, args={"pk": "delivery"}),
    "portal:outbox_retry": Page(POST_ONLY, args={"pk": "delivery"}, post=refusals(COUNTY)),
    # The staff's workspace: a clerk goes straight to their own community.
    "portal:dashboard": Page(
        {
            **KEEPERS,
            "clerk": To(WORKSPACE_HOME),
            "other_clerk": To(WORKSPACE_FAR),
        }
    ),
    # Where a log-in lands: everyone with a role has a to-do list; an account without one is
    # sent to the home page.
    "portal:dashboard_print": Page(
        {
            **KEEPERS,
            "clerk": To(WORKSPACE_HOME),
            "other_clerk": To(WORKSPACE_FAR),
        }
    ),
    "portal:dashboard_xlsx": Page(OVERSEERS),
    "portal:dashboard_csv": Page(OVERSEERS),
    "portal:todo": Page(answers(OK, anonymous=LOGIN, no_role=To("/"))),
    "portal:reports": Page(KEEPERS),
    # The county's announcements (通知公告): public once published; county staff write them.
    "portal:announcements": Page(EVERYONE),
    "portal:announcement": Page(EVERYONE, args={"pk": "announcement"}),
    "portal:announcement_file": Page(EVERYONE, args={"pk": "announcement"}),
    "portal:manage_announcements": Page(COUNTY),
    "portal:manage_announcement_new": Page(COUNTY, post=refusals(COUNTY)),
    "portal:manage_announcement_edit": Page(
        COUNTY, args={"pk": "announcement"}, post=refusals(COUNTY)
    ),
    "portal:manage_announcement_withdraw": Page(
        COUNTY, args={"pk": "announcement"}, post=refusals(COUNTY), data={"confirm": "on"}
    ),
    # A judge keeps no registry: their start page is their rating rounds.
    "communities:workspace": Page(
        {
            **KEEPERS,
            "clerk": To(WORKSPACE_HOME),
            "other_clerk": To(WORKSPACE_FAR),
            "judge": To("/ratings/manage/"),
        },
        search=True,
    ),
    "communities:workspace_community": Page(HOME, args={"code": "home"}),
    # The community's record, edited in the portal (issue 14): its keepers; the honours are
    # the township's and the county's to record.
    **{
        f"communities:edit_{section}": Page(HOME, args={"code": "home"}, post=refusals(HOME))
        for section in ("basic", "facilities", "bodies", "branches", "pairings")
    },
    "communities:edit_honours": Page(
        {**HOME, "clerk": DENIED},
        args={"code": "home"},
        post=refusals({**HOME, "clerk": DENIED}),
    ),
    "communities:record_changes": Page(HOME, args={"code": "home"}),
    "communities:terms_due": Page(KEEPERS),
    "communities:space_standard": Page(KEEPERS, search=True),
    # Monthly returns.
    "returns:list": Page(KEEPERS),
    "returns:detail": Page(
        answers(MISSING, anonymous=LOGIN, clerk=OK, township=OK, county=OK),
        args={"code": "home", "month": "month"},
        # Township staff review a return; they do not fill it in.
        post=answers(MISSING, anonymous=LOGIN, township=DENIED, clerk=ALLOWED, county=ALLOWED),
        data={"action": "submit", "version": "1"},
    ),
    "returns:transition": Page(
        POST_ONLY,
        args={"code": "home", "month": "month", "action": "approve"},
        # The clerk is sent back to the return, with the reason as a message.
        post=answers(
            MISSING,
            anonymous=LOGIN,
            clerk=To(RETURN_HOME),
            township=ALLOWED,
            county=ALLOWED,
        ),
    ),
    "returns:template": Page(KEEPERS),
    "returns:import": Page(KEEPERS, post=refusals(KEEPERS)),
    # An upload is its uploader's (the county sees all).
    "returns:import_preview": Page(
        answers(MISSING, anonymous=LOGIN, no_role=DENIED, judge=DENIED, clerk=OK, county=OK),
        args={"pk": "import"},
        post=refusals(
            answers(MISSING, anonymous=LOGIN, no_role=DENIED, judge=DENIED, clerk=OK, county=OK)
        ),
    ),
    "returns:export_csv": Page(KEEPERS),
    "returns:export_xlsx": Page(KEEPERS),
    "returns:completeness": Page(OVERSEERS),
    "returns:aggregates": Page(KEEPERS),
    "returns:aggregates_print": Page(KEEPERS),
    "returns:aggregates_csv": Page(KEEPERS),
    "returns:aggregates_xlsx": Page(KEEPERS),
    # The completeness grid printed and exported (issue 16): as the grid.
    **{f"returns:completeness_{suffix}": Page(OVERSEERS) for suffix in ("print", "csv", "xlsx")},
    # The cross-indicator table: every keeper, within their scope.
    **{f"returns:pivot{suffix}": Page(KEEPERS) for suffix in ("", "_print", "_csv", "_xlsx")},
    # Ratings: the public pages.
    "ratings:round_list": Page(EVERYONE),
    "ratings:round_results": Page(EVERYONE, args={"code": "notice"}, search=True),
    "ratings:round_notice": Page(EVERYONE, args={"code": "notice"}),
    "ratings:objection_submit": Page(EVERYONE, args={"code": "notice"}, post=answers(ALLOWED)),
    # Ratings: the staff's rounds (a round with `home`'s declaration, on the judge's panel).
    "ratings:staff_round_list": Page(answers(OK, anonymous=LOGIN, no_role=MISSING)),
    "ratings:staff_round_detail": Page(
        answers(MISSING, anonymous=LOGIN, judge=OK, clerk=OK, township=OK, county=OK),
        args={"code": "scoring"},
    ),
    "ratings:staff_round_advance": Page(
        POST_ONLY,
        args={"code": "scoring"},
        post=answers(MISSING, anonymous=LOGIN, county=ALLOWED),
        data={"to": RoundStatus.RANKING, "confirm": "1", "note": "advance"},
    ),
    "ratings:staff_judge_assign": Page(
        POST_ONLY,
        args={"code": "scoring"},
        post=answers(MISSING, anonymous=LOGIN, county=ALLOWED),
    ),
    "ratings:staff_conflict_declare": Page(
        POST_ONLY,
        args={"code": "scoring"},
        post=answers(MISSING, anonymous=LOGIN, county=ALLOWED),
    ),
    # The ranking: county staff and the panel's chair in full; township and clerk their area.
    "ratings:staff_ranking": Page(
        answers(MISSING, anonymous=LOGIN, judge=OK, clerk=OK, township=OK, county=OK),
        args={"code": "notice"},
    ),
    "ratings:staff_export_scores": Page(
        answers(MISSING, anonymous=LOGIN, judge=OK, county=OK), args={"code": "notice"}
    ),
    "ratings:staff_export_results": Page(
        answers(MISSING, anonymous=LOGIN, judge=OK, county=OK), args={"code": "notice"}
    ),
    "ratings:staff_round_confirm": Page(
        COUNTY_ELSE_404,
        args={"code": "notice"},
        post=refusals(COUNTY_ELSE_404),
        data={"note": "confirmed", "confirm_pending": "on"},
    ),
    "ratings:staff_rating_revoke": Page(
        COUNTY_ELSE_404,
        args={"code": "final", "community": "home"},
        post=refusals(COUNTY_ELSE_404),
        data={"reason": "revoked"},
    ),
    # Declarations: the community's clerk and county staff.
    "ratings:declaration_own": Page(
        answers(
            MISSING,
            anonymous=LOGIN,
            clerk=To("/ratings/manage/open-2026/declare/home/"),
            other_clerk=To("/ratings/manage/open-2026/declare/far/"),
        ),
        args={"code": "open"},
    ),
    "ratings:declaration_edit": Page(
        answers(MISSING, anonymous=LOGIN, clerk=OK, county=OK),
        args={"code": "open", "community": "home"},
        post=refusals(answers(MISSING, anonymous=LOGIN, clerk=OK, county=OK)),
        data={"action": "withdraw"},
    ),
    "ratings:evidence_add": Page(
        POST_ONLY,
        args={"declaration": "declaration"},
        post=answers(MISSING, anonymous=LOGIN, clerk=ALLOWED, county=ALLOWED),
    ),
    "ratings:evidence_remove": Page(
        POST_ONLY,
        args={"pk": "evidence"},
        post=answers(MISSING, anonymous=LOGIN, clerk=ALLOWED, county=ALLOWED),
    ),
    # Evidence files: the community's keepers (and judges once it is submitted).
    "ratings:evidence_file": Page(
        answers(MISSING, anonymous=LOGIN, clerk=OK, township=OK, county=OK),
        args={"pk": "evidence"},
    ),
    "ratings:evidence_thumbnail": Page(
        answers(MISSING, anonymous=LOGIN, clerk=OK, township=OK, county=OK),
        args={"pk": "evidence"},
    ),
    # Judging: the panel's judges (the chair and county staff follow the progress).
    "ratings:judging_list": Page(
        answers(MISSING, anonymous=LOGIN, judge=OK), args={"code": "scoring"}
    ),
    "ratings:judging_sheet": Page(
        answers(MISSING, anonymous=LOGIN, judge=OK),
        args={"code": "scoring", "community": "home"},
        post=refusals(answers(MISSING, anonymous=LOGIN, judge=OK)),
        data={"abstain": "on"},
    ),
    "ratings:judging_progress": Page(
        answers(MISSING, anonymous=LOGIN, judge=OK, county=OK), args={"code": "scoring"}
    ),
    "ratings:judging_close": Page(
        POST_ONLY,
        args={"code": "scoring"},
        post=answers(MISSING, anonymous=LOGIN, judge=ALLOWED, county=ALLOWED),
        # The confirmed POST: the first one only asks.
        data={"confirm": "1"},
    ),
    # Opinions sent during the notice hold personal data: county staff only.
    "ratings:objection_list": Page(COUNTY_ELSE_404, args={"code": "notice"}),
    "ratings:objection_moderate": Page(
        COUNTY_ELSE_404,
        args={"code": "notice", "pk": "objection"},
        post=refusals(COUNTY_ELSE_404),
        data={"status": Objection.Status.HIDDEN, "handling": "hidden"},
    ),
    # Services: the hub, the public commendations, admission (county decides), reports.
    "services:hub": Page(
        {**KEEPERS, "clerk": To("/services/home/"), "other_clerk": To("/services/far/")}
    ),
    "services:commendations": Page(EVERYONE),
    "services:commendations_print": Page(EVERYONE),
    "services:commendations_csv": Page(EVERYONE),
    "services:admission_list": Page(KEEPERS),
    "services:admission_detail": Page(KEEPERS, args={"pk": "admission"}),
    "services:admission_new": Page(COUNTY, post=refusals(COUNTY)),
    "services:admission_edit": Page(COUNTY, args={"pk": "admission"}, post=refusals(COUNTY)),
    "services:admission_approve": Page(
        POST_ONLY,
        args={"pk": "admission"},
        post=answers(DENIED, anonymous=LOGIN, county=ALLOWED),
    ),
    "services:admission_refuse": Page(
        POST_ONLY,
        args={"pk": "admission"},
        post=answers(DENIED, anonymous=LOGIN, county=ALLOWED),
        data={"refuse-reason": "refused"},
    ),
    **{
        f"services:{name}": Page(KEEPERS)
        for name in [
            "reports",
            *(
                f"report_{report}{suffix}"
                for report in ("coverage", "outlets", "hours", "balances")
                for suffix in ("", "_print", "_csv", "_xlsx")
            ),
        ]
    },
    # A community's services pages: networks, employment and tasks for its keepers...
    "services:community": Page(HOME, args={"code": "home"}),
    "services:employment": Page(HOME, args={"code": "home"}),
    **{
        f"services:{kind}_add": Page(HOME, args={"code": "home"}, post=refusals(HOME))
        for kind in ("training", "processing", "outcome")
    },
    **{
        f"services:{kind}_edit": Page(HOME, args={"code": "home", "pk": kind}, post=refusals(HOME))
        for kind in ("training", "processing", "outcome")
    },
    "services:admitted_tasks": Page(HOME, args={"code": "home"}),
    "services:admitted_tasks_print": Page(HOME, args={"code": "home"}),
    # ...volunteers and households, personal data, for its clerk and the county only.
    "services:volunteer_list": Page(HOME_PEOPLE, args={"code": "home"}, search=True),
    "services:volunteer_create": Page(
        HOME_PEOPLE, args={"code": "home"}, post=refusals(HOME_PEOPLE)
    ),
    "services:volunteer_sessions_bulk": Page(
        HOME_PEOPLE, args={"code": "home"}, post=refusals(HOME_PEOPLE)
    ),
    "services:volunteer_detail": Page(HOME_PEOPLE, args={"code": "home", "pk": "volunteer"}),
    **{
        f"services:volunteer_{name}": Page(
            HOME_PEOPLE, args={"code": "home", "pk": "volunteer"}, post=refusals(HOME_PEOPLE)
        )
        for name in ("edit", "session", "draw", "points")
    },
    "services:volunteer_statement_print": Page(
        HOME_PEOPLE, args={"code": "home", "pk": "volunteer"}
    ),
    "services:volunteer_statement_xlsx": Page(
        HOME_PEOPLE, args={"code": "home", "pk": "volunteer"}
    ),
    "services:household_list": Page(HOME_PEOPLE, args={"code": "home"}, search=True),
    "services:household_add": Page(HOME_PEOPLE, args={"code": "home"}, post=refusals(HOME_PEOPLE)),
    "services:visit_list": Page(HOME_PEOPLE, args={"code": "home"}, search=True),
    "services:household_detail": Page(HOME_PEOPLE, args={"code": "home", "pk": "household"}),
    "services:household_edit": Page(
        HOME_PEOPLE, args={"code": "home", "pk": "household"}, post=refusals(HOME_PEOPLE)
    ),
    "services:visit_add": Page(
        HOME_PEOPLE, args={"code": "home", "pk": "household"}, post=refusals(HOME_PEOPLE)
    ),
    "services:helper_add": Page(
        POST_ONLY, args={"code": "home", "pk": "household"}, post=refusals(HOME_PEOPLE)
    ),
    "services:helper_end": Page(
        POST_ONLY,
        args={"code": "home", "pk": "household", "pairing_pk": "pairing"},
        post=refusals(HOME_PEOPLE),
        data={"end-{pairing}-ended_on": "2026-04-30"},
    ),
}


# ---------- The admin ----------

ALL_STAFF = frozenset(STAFF)
HOME_STAFF = frozenset({"clerk", "township", "county"})  # whose scope holds `home`, `north`
ONLY_COUNTY = frozenset({"county"})
NOBODY = frozenset()
# Who may add a record of a kind (anywhere in their scope) by role.
TOWNSHIP_LEVEL = frozenset({"township", "other_township", "county"})
PEOPLE_KEEPERS = frozenset({"clerk", "other_clerk", "county"})
# Whose scope holds `home`'s record, by role.
HOME_TOWNSHIP_LEVEL = frozenset({"township", "county"})
HOME_PEOPLE_KEEPERS = frozenset({"clerk", "county"})


@dataclass(frozen=True)
class Admin:
    """A model's admin: the staff roles that get 200 on its list, its add form, its record
    (`change`: with the save button), its delete page and its history pages. A staff role
    that may not open the record gets `hidden` there: 404 when the admin's rows are scoped
    (the record does not exist for them), 403 for an admin kept to the county as a whole.
    Non-staff users and visitors are sent to the admin's login page everywhere."""

    obj: str  # key of the world's admin objects
    list: frozenset
    add: frozenset
    see: frozenset
    change: frozenset
    delete: frozenset
    history: frozenset
    hidden: int = MISSING


def registry(obj, change=ONLY_COUNTY, see=HOME_STAFF):
    """A registry record the county keeps: everyone on staff lists their own scope's."""
    return Admin(obj, ALL_STAFF, ONLY_COUNTY, see, change, ONLY_COUNTY, ONLY_COUNTY)


def county_only(obj, writes=ONLY_COUNTY, delete=None):
    """County staff's alone, not scoped: the others get 403 (the admin says nothing of rows)."""
    delete = writes if delete is None else delete
    return Admin(obj, ONLY_COUNTY, writes, ONLY_COUNTY, writes, delete, ONLY_COUNTY, hidden=DENIED)


def superusers_only(obj):
    """Django's model permissions, which no role of the portal holds: superusers only."""
    return Admin(obj, NOBODY, NOBODY, NOBODY, NOBODY, NOBODY, NOBODY, hidden=DENIED)


def read_only(obj, lists, see, history):
    """Changed only through the portal's domain functions: read-only here for everyone."""
    return Admin(obj, lists, NOBODY, see, NOBODY, NOBODY, history)


ADMIN = {
    "communities.township": registry("north"),
    "communities.community": registry("home", change=HOME_STAFF),
    "communities.restructuring": registry("restructuring"),
    "communities.formerarea": registry("formerarea"),
    "communities.formation": registry("formation"),
    "communities.governancebody": Admin(
        "body", ALL_STAFF, ALL_STAFF, HOME_STAFF, HOME_STAFF, HOME_TOWNSHIP_LEVEL, ONLY_COUNTY
    ),
    "communities.partybranch": Admin(
        "branch", ALL_STAFF, ALL_STAFF, HOME_STAFF, HOME_STAFF, HOME_STAFF, ONLY_COUNTY
    ),
    "communities.term": Admin(
        "term", ALL_STAFF, ALL_STAFF, HOME_STAFF, HOME_STAFF, HOME_TOWNSHIP_LEVEL, ONLY_COUNTY
    ),
    "communities.cobuildingunit": registry("unit", see=ALL_STAFF),
    "communities.cobuildingpairing": Admin(
        "pairing", ALL_STAFF, ALL_STAFF, HOME_STAFF, HOME_STAFF, HOME_STAFF, ONLY_COUNTY
    ),
    "communities.honour": Admin(
        "honour",
        ALL_STAFF,
        TOWNSHIP_LEVEL,
        HOME_STAFF,
        HOME_TOWNSHIP_LEVEL,
        HOME_TOWNSHIP_LEVEL,
        ONLY_COUNTY,
    ),
    "communities.facility": Admin(
        "facility", ALL_STAFF, ALL_STAFF, HOME_STAFF, HOME_STAFF, HOME_TOWNSHIP_LEVEL, ONLY_COUNTY
    ),
    # Who holds which role: the county alone.
    "communities.userscope": Admin(
        "scope", ONLY_COUNTY, ONLY_COUNTY, ONLY_COUNTY, ONLY_COUNTY, ONLY_COUNTY, ONLY_COUNTY
    ),
    "auth.user": county_only("user"),
    # Groups carry Django's permissions, which the portal does not use: superusers only.
    "auth.group": county_only("group", writes=NOBODY),
    # The indicator catalogue: the county's, every keeper reads it.
    "communities.indicatorgroup": registry("indicatorgroup", see=ALL_STAFF),
    "communities.indicator": registry("indicator", see=ALL_STAFF),
    "communities.indicatorrule": registry("indicatorrule", see=ALL_STAFF),
    "communities.ratio": registry("ratio", see=ALL_STAFF),
    "communities.monthlyreturn": read_only("return", ALL_STAFF, HOME_STAFF, HOME_STAFF),
    "communities.returnevent": read_only("event", ALL_STAFF, HOME_STAFF, HOME_STAFF),
    "communities.returnimport": county_only("import", writes=NOBODY),
    # Rating rounds, panels and conflicts: the county's; sheets and opinions: county, read.
    # A round carries its ratings and its record: never deleted.
    "ratings.round": county_only("round", delete=NOBODY),
    "ratings.judgeassignment": county_only("assignment"),
    "ratings.conflictofinterest": county_only("conflict"),
    "ratings.scoresheet": county_only("sheet", writes=NOBODY),
    "ratings.objection": county_only("objection", writes=NOBODY),
    "ratings.declaration": read_only("declaration", ALL_STAFF, HOME_STAFF, ONLY_COUNTY),
    "ratings.rating": read_only("rating", ALL_STAFF, HOME_STAFF, ONLY_COUNTY),
    # Services: the registry's scope for networks, outlets and re-employment...
    **{
        f"services.{model}": Admin(
            model, ALL_STAFF, ALL_STAFF, HOME_STAFF, HOME_STAFF, HOME_TOWNSHIP_LEVEL, HOME_STAFF
        )
        for model in (
            "servicenetwork",
            "serviceoutlet",
            "trainingclass",
            "processingproject",
            "reemploymentoutcome",
        )
    },
    # ...people for their own clerk and the county. Households' and volunteers' audit history
    # (django-simple-history) is the county's; the others' change log goes with the record...
    **{
        f"services.{model}": Admin(
            model,
            PEOPLE_KEEPERS,
            PEOPLE_KEEPERS,
            HOME_PEOPLE_KEEPERS,
            HOME_PEOPLE_KEEPERS,
            HOME_PEOPLE_KEEPERS,
            ONLY_COUNTY if model in ("assistedhousehold", "volunteer") else HOME_PEOPLE_KEEPERS,
        )
        for model in (
            "assistedhousehold",
            "volunteer",
            "helperpairing",
            "assistancevisit",
            "contributionpoints",
        )
    },
    # ...the time bank's ledger changes only through services.domain...
    "services.servicerecord": read_only(
        "servicerecord", PEOPLE_KEEPERS, HOME_PEOPLE_KEEPERS, HOME_PEOPLE_KEEPERS
    ),
    "services.timebankentry": read_only(
        "timebankentry", PEOPLE_KEEPERS, HOME_PEOPLE_KEEPERS, HOME_PEOPLE_KEEPERS
    ),
    # ...admission requests and commendations are the county's, every keeper reads them.
    "services.admissionrequest": registry("admission", see=ALL_STAFF),
    "services.commendation": Admin(
        "commendation", ALL_STAFF, ONLY_COUNTY, ALL_STAFF, ONLY_COUNTY, ONLY_COUNTY, ALL_STAFF
    ),
    # Log-in attempts (django-axes): usernames and addresses, for superusers only.
    "axes.accessattempt": superusers_only("accessattempt"),
    "axes.accesslog": superusers_only("accesslog"),
    "axes.accessfailurelog": superusers_only("accessfailurelog"),
}


# The lists whose rows hold the personal details, searched for a part of a name and a phone.
ADMIN_SEARCHED = (
    "services.assistedhousehold",
    "services.volunteer",
    "services.helperpairing",
    "services.assistancevisit",
    "services.contributionpoints",
    "services.servicerecord",
    "services.timebankentry",
    "ratings.objection",
)


def staff(answer, **non_staff) -> dict:
    """`answer` for every staff role; the admin's login page for the others."""
    return answers(answer, **dict.fromkeys(("anonymous", "no_role", "judge"), ADMIN_LOGIN)) | (
        non_staff
    )


# The admin's own pages. Each app's index: 404 where the user has no model of the app.
ADMIN_SITE = {
    "admin:index": Page(staff(OK)),
    "admin:login": Page(staff(To("/admin/"), anonymous=OK, no_role=OK, judge=OK)),
    "admin:logout": Page(
        staff(NOT_ALLOWED, anonymous=To("/admin/"), no_role=To("/admin/"), judge=To("/admin/"))
    ),
    "admin:password_change": Page(staff(OK)),
    "admin:password_change_done": Page(staff(OK)),
    # Without its query (which field, which term) the autocomplete refuses.
    "admin:autocomplete": Page(staff(DENIED)),
    "admin:jsi18n": Page(staff(OK)),
    # "View on site": a record outside the scope does not exist here either (no redirect
    # naming its community and month).
    "admin:view_on_site": Page(
        staff(
            To("http://testserver/returns/{home}/{month}/"),
            other_clerk=MISSING,
            other_township=MISSING,
        ),
        args={"content_type_id": "return_type", "object_id": "return_pk"},
    ),
    "admin:auth_user_password_change": Page(staff(DENIED, county=OK), args={"id": "user"}),
}
APP_INDEX = {
    "communities": staff(OK),
    "ratings": staff(OK),
    "services": staff(OK),
    "auth": staff(MISSING, county=OK),
    "axes": staff(MISSING),
}
ADMIN_CATCH_ALL = "/admin/no-such-page/"


# ---------- The world walked ----------


@dataclass
class World:
    args: dict  # URL argument values by name
    objects: dict  # the admin's records by Admin.obj


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 120, 40)).save(buffer, "PNG")
    return SimpleUploadedFile("门口.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture
def world(tree, users) -> World:
    """One record of every kind the portal and the admin show, in `home` (or `north`)."""
    home, north = tree["home"], tree["north"]
    clerk, judge, county = users["clerk"], users["judge"], users["county"]
    today = timezone.localdate()
    day = datetime.timedelta(days=1)
    people = make_people(tree, users)
    volunteer, household = people["volunteer"], people["household"]

    # The registry.
    restructuring = Restructuring.objects.create(
        township=north, name="2001年撤并", effective_year=2001
    )
    former_area = FormerArea.objects.create(township=north, name="老街居委会")
    formation = Formation.objects.create(
        restructuring=restructuring, former_area=former_area, community=home
    )
    party = make_body(community=home, kind="party")
    body = make_body(community=home)
    branch = make_branch(organisation=party)
    term = make_term(body=body)
    unit = make_unit()
    pairing = make_pairing(unit=unit, community=home)
    honour = make_honour(community=home)
    facility = make_facility(community=home)
    left, right = make_indicator(), make_indicator()
    rule = make_rule(left, "lte", right)
    ratio = Ratio.objects.create(
        code="ratio", name="比率", numerator=left, denominator=right, group=left.group
    )
    group = Group.objects.create(name="审计")

    # A return of last month, submitted; an upload by the clerk.
    period = (today.replace(day=1) - day).replace(day=1)
    monthly_return = make_return(community=home, period=period, status=ReturnStatus.SUBMITTED)
    event = ReturnEvent.objects.create(
        monthly_return=monthly_return,
        action=ReturnEvent.Action.SUBMITTED,
        to_status=ReturnStatus.SUBMITTED,
        by=clerk,
    )
    upload = ReturnImport.objects.create(uploaded_by=clerk, file_name="returns.xlsx")

    # Rating rounds: declarations open (a draft with a photo), scoring (the judge chairs the
    # panel), public notice (with an opinion naming its sender), final (a rating).
    open_round = make_round(code="open-2026", status=RoundStatus.DECLARATIONS_OPEN)
    draft = make_declaration(round=open_round, community=home, status=Declaration.Status.DRAFT)
    evidence = uploads.evidence_add(declaration=draft, upload=_png(), caption="门口", by=clerk)
    scoring = make_round(code="scoring-2026", status=RoundStatus.REVIEW)
    make_criterion(round=scoring)
    assignment = make_assignment(round=scoring, judge=judge, is_chair=True)
    submitted = make_declaration(round=scoring, community=home)
    sheet = ScoreSheet.objects.create(judge=judge, declaration=submitted)
    conflict = ConflictOfInterest.objects.create(
        round=scoring, judge=judge, community=tree["neighbour"], reason="亲属"
    )
    notice = make_round(
        code="notice-2026",
        status=RoundStatus.NOTICE,
        notice_starts_on=today - day,
        notice_ends_on=today + 5 * day,
    )
    make_criterion(round=notice)
    make_assignment(round=notice, judge=judge, is_chair=True)
    make_declaration(round=notice, community=home)
    objection = Objection.objects.create(
        round=notice,
        community=home,
        text="活动场地面积与实际不符。",
        name=OBJECTOR_NAME,
        contact=OBJECTOR_PHONE,
        sender_hash="0" * 64,
    )
    final = make_round(code="final-2025", year=2025, status=RoundStatus.FINAL)
    rating = Rating.objects.create(
        round=final, community=home, tier=Tier.NORMATIVE, valid_until=datetime.date(2027, 12, 31)
    )

    # Services.
    network = ServiceNetwork.objects.create(community=home, kind="convenience", established=True)
    outlet = ServiceOutlet.objects.create(community=home, kind="health", name="卫生服务站")
    training = TrainingClass.objects.create(
        community=home,
        name="家政培训班",
        starts_on=datetime.date(2026, 3, 1),
        ends_on=datetime.date(2026, 3, 20),
    )
    processing = ProcessingProject.objects.create(community=home, name="来料加工", year=2026)
    outcome = ReemploymentOutcome.objects.create(
        community=home, month=datetime.date(2026, 3, 1), reemployed=2
    )
    points = ContributionPoints.objects.create(
        volunteer=volunteer, year=2026, activity="义诊", points=5, on=datetime.date(2026, 3, 5)
    )
    admission = AdmissionRequest.objects.create(department="县卫健局", task="健康档案入户更新")
    admission.communities.add(home)
    commendation = Commendation.objects.create(
        year=2025, kind="collective", name="志愿服务队", title="优秀志愿服务集体", community=home
    )

    # An announcement of the county, published today, with a picture attached.
    announcement = announcements.announcement_create(
        title="关于开展社区走访的通知",
        body="请各社区做好准备。",
        published_on=today,
        upload=_png(),
        by=county,
        today=today,
    )

    # A message in the clerk's inbox, and an e-mail in the outbox.
    message = Message.objects.create(
        recipient=clerk, kind=Kind.RETURN_SENT_BACK, subject="月报被退回", body="请修改。"
    )
    delivery = Delivery.objects.create(
        kind=Kind.RETURN_SENT_BACK,
        to="clerk@example.org",
        subject="月报被退回",
        body="请修改。",
        next_attempt_at=timezone.now(),
    )

    # A published report: the circular of the last closed quarter.
    quarter = last_closed_quarter(today)
    publication = publishing.publish(
        ReportKind.CIRCULAR,
        first_month=quarter.first,
        last_month=quarter.last,
        township=None,
        number="",
        published_on=today,
        note="",
        user=county,
        today=today,
    )

    # Log-in attempts.
    attempt = {
        "username": "clerk",
        "ip_address": "192.0.2.1",
        "user_agent": "walk",
        "http_accept": "*/*",
        "path_info": "/accounts/login/",
    }
    access_attempt = AccessAttempt.objects.create(
        **attempt, get_data="", post_data="", failures_since_start=1
    )
    access_log = AccessLog.objects.create(**attempt)
    failure_log = AccessFailureLog.objects.create(**attempt)

    objects = {
        "accessattempt": access_attempt,
        "accesslog": access_log,
        "accessfailurelog": failure_log,
        "north": north,
        "home": home,
        "restructuring": restructuring,
        "formerarea": former_area,
        "formation": formation,
        "body": body,
        "branch": branch,
        "term": term,
        "unit": unit,
        "pairing": pairing,
        "honour": honour,
        "facility": facility,
        "scope": UserScope.objects.get(user=clerk),
        "user": clerk,
        "group": group,
        "indicatorgroup": left.group,
        "indicator": left,
        "indicatorrule": rule,
        "ratio": ratio,
        "return": monthly_return,
        "event": event,
        "import": upload,
        "round": scoring,
        "assignment": assignment,
        "conflict": conflict,
        "sheet": sheet,
        "objection": objection,
        "declaration": submitted,
        "rating": rating,
        "servicenetwork": network,
        "serviceoutlet": outlet,
        "trainingclass": training,
        "processingproject": processing,
        "reemploymentoutcome": outcome,
        "assistedhousehold": household,
        "volunteer": volunteer,
        "helperpairing": HelperPairing.objects.get(household=household),
        "assistancevisit": AssistanceVisit.objects.get(household=household),
        "contributionpoints": points,
        "servicerecord": volunteer.service_records.get(),
        "timebankentry": volunteer.time_bank_entries.get(),
        "admission": admission,
        "commendation": commendation,
    }
    args = {
        "home": home.code,
        "en": "en",
        "month": f"{period:%Y-%m}",
        "approve": "approve",
        "import": upload.pk,
        "open": open_round.code,
        "scoring": scoring.code,
        "notice": notice.code,
        "final": final.code,
        "declaration": draft.pk,
        "evidence": evidence.pk,
        "objection": objection.pk,
        "admission": admission.pk,
        "household": household.pk,
        "volunteer": volunteer.pk,
        "pairing": HelperPairing.objects.get(household=household).pk,
        "training": training.pk,
        "processing": processing.pk,
        "outcome": outcome.pk,
        "user": clerk.pk,
        "announcement": announcement.pk,
        "message": message.pk,
        "delivery": delivery.pk,
        "publication": publication.pk,
        "yearly": ReportKind.YEARLY,
        "circular": ReportKind.CIRCULAR,
        "uidb64": "MTIzNDU2",
        "token": "set-password",
        "return_type": ContentType.objects.get_for_model(monthly_return).pk,
        "return_pk": monthly_return.pk,
    }
    assert county.is_staff and not judge.is_staff and not users["no_role"].is_staff
    return World(args=args, objects=objects)


# ---------- Walking ----------


def _observed(response, url, login_url):
    """The answer in the tables' terms."""
    if response.status_code == 302:
        location = response["Location"]
        query = QueryDict(mutable=True)
        query["next"] = url
        if location == f"{login_url}?{query.urlencode(safe='/')}":
            return LOGIN if login_url == resolve_url(settings.LOGIN_URL) else ADMIN_LOGIN
        return To(location)
    return response.status_code


def _expected(answer, world):
    if isinstance(answer, To) and "{" in answer.url:
        return To(answer.url.format(**world.args))
    return answer


class Walk:
    """Requests as one role, noting every answer that differs from the table and every
    personal detail shown to someone who may not see it."""

    def __init__(self, client, users, role, world):
        self.client = login(client, users, role)
        self.role, self.world = role, world
        self.mismatches, self.leaks, self.count = [], {}, 0

    def request(self, method, url, expected, *, admin=False, data=None):
        login_url = reverse("admin:login") if admin else resolve_url(settings.LOGIN_URL)
        response = getattr(self.client, method)(url, data or {})
        self.count += 1
        observed = _observed(response, url, login_url)
        expected = _expected(expected, self.world)
        if observed != expected:
            self.mismatches.append(f"{method.upper()} {url}: expected {expected}, got {observed}")
        text = body(response)
        if found := [s for s in SECRETS_HIDDEN_FROM[self.role] if s in text]:
            self.leaks[f"{method.upper()} {url}"] = found
        return response, text


def _portal_url(name, page, world):
    return reverse(name, kwargs={key: world.args[value] for key, value in page.args.items()})


def _post_data(page, world):
    return {key.format(**world.args): value for key, value in page.data.items()}


def _searches(url):
    """The address searched for a part of a name and of a phone, as a browser sends it."""
    return [f"{url}?q={quote(NAME_PART)}", f"{url}?q={PHONE_PART}"]


# Error pages: a record, a month, a community, a round that do not exist.
ERRORS = {
    "/services/home/households/999999/": {**HOME_PEOPLE, "clerk": MISSING, "county": MISSING},
    "/services/home/volunteers/999999/": {**HOME_PEOPLE, "clerk": MISSING, "county": MISSING},
    "/returns/home/2026-13/": answers(MISSING, anonymous=LOGIN),
    "/communities/nowhere/": answers(MISSING),
    "/manage/communities/nowhere/": {**KEEPERS, **dict.fromkeys(STAFF, MISSING)},
    "/ratings/no-such-round/": answers(MISSING),
}


def _admin_names() -> set:
    return {name for name, route, _converters in patterns() if name and route.startswith("admin/")}


def _admin_answer(row: Admin, page: str, role: str):
    """A page's answer from the model's row: list and add by role, the record by scope."""
    if role not in STAFF:
        return ADMIN_LOGIN
    if page == "changelist":
        return OK if role in row.list else DENIED
    if page == "add":
        return OK if role in row.add else DENIED
    if role not in row.see:
        return row.hidden
    allowed = {"change": row.see, "delete": row.delete, "history": row.history}[page]
    return OK if role in allowed else DENIED


def _admin_url(model, page, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}", args=args)


SNAPSHOT_APPS = ("communities", "services", "ratings", "portal", "auth", "admin", "axes")


def _snapshot() -> dict:
    """Every row of the portal's tables (with their audit history and the admin's log)."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values_list())
        for model in apps.get_models()
        if model._meta.app_label in SNAPSHOT_APPS
    }


def _changed(before: dict, after: dict) -> list[str]:
    return sorted(label for label in before if before[label] != after[label])


# ---------- The tests ----------


def test_every_url_pattern_has_an_entry_and_every_entry_a_pattern():
    portal = [(name, route) for name, route, _c in patterns() if not route.startswith("admin/")]
    assert [route for name, route in portal if not name] == []
    names = {name for name, _route in portal}
    assert sorted(names - set(PORTAL)) == [], "URL patterns without an entry in PORTAL"
    assert sorted(set(PORTAL) - names) == [], "entries of PORTAL without a URL pattern"
    assert len(PORTAL) == PORTAL_URL_COUNT

    registered = {model._meta.label_lower: model for model in admin.site._registry}
    assert sorted(set(registered) - set(ADMIN)) == [], "admin models without an entry in ADMIN"
    assert sorted(set(ADMIN) - set(registered)) == [], "entries of ADMIN without an admin"
    assert len(ADMIN) == ADMIN_MODEL_COUNT
    assert set(APP_INDEX) == {model._meta.app_label for model in registered.values()}

    model_pages = {"changelist", "add", "change", "delete", "history", "simple_history"}
    known = set(ADMIN_SITE) | {"admin:app_list"}
    redirects = set()
    for model in registered.values():
        info = f"{model._meta.app_label}_{model._meta.model_name}"
        known |= {f"admin:{info}_{page}" for page in model_pages}
        redirects.add(f"admin/{model._meta.app_label}/{model._meta.model_name}/<path:object_id>/")
    unknown = [
        (name, route)
        for name, route, _c in patterns()
        if route.startswith("admin/")
        and name not in known
        and not (name is None and route in redirects)
        and route != "admin/(?P<url>.*)$"
    ]
    assert unknown == [], "admin URL patterns without an entry"


@pytest.mark.parametrize("role", ROLES)
def test_portal_answers_for_every_url(client, users, world, role):
    walk = Walk(client, users, role, world)
    searched = 0
    for name, page in PORTAL.items():
        url = _portal_url(name, page, world)
        walk.request("get", url, page.get[role])
        if page.search:
            for search in _searches(url):
                walk.request("get", search, page.get[role])
                searched += 1
    for url, table in ERRORS.items():
        walk.request("get", url, table[role])

    assert walk.mismatches == [], "\n".join(walk.mismatches)
    assert walk.leaks == {}
    assert walk.count == PORTAL_URL_COUNT + searched + len(ERRORS) == 157 + 14 + 6


@pytest.mark.parametrize("role", ROLES)
def test_admin_answers_for_every_model_and_page(client, users, world, role):
    walk = Walk(client, users, role, world)
    names = _admin_names()
    for label, row in ADMIN.items():
        model = apps.get_model(label)
        pk = world.objects[row.obj].pk
        changelist = _admin_url(model, "changelist")
        walk.request("get", changelist, _admin_answer(row, "changelist", role), admin=True)
        if label in ADMIN_SEARCHED:
            for search in _searches(changelist):
                walk.request("get", search, _admin_answer(row, "changelist", role), admin=True)
        walk.request("get", _admin_url(model, "add"), _admin_answer(row, "add", role), admin=True)
        response, text = walk.request(
            "get", _admin_url(model, "change", pk), _admin_answer(row, "change", role), admin=True
        )
        if response.status_code == OK:
            # Read-only without the change permission; the History link only where it opens.
            shown = {"save": 'name="_save"' in text, "history": 'class="historylink"' in text}
            expected = {"save": role in row.change, "history": role in row.history}
            if shown != expected:
                walk.mismatches.append(f"{label} change form: expected {expected}, got {shown}")
        walk.request(
            "get", _admin_url(model, "delete", pk), _admin_answer(row, "delete", role), admin=True
        )
        history = _admin_answer(row, "history", role)
        walk.request("get", _admin_url(model, "history", pk), history, admin=True)
        info = f"{model._meta.app_label}_{model._meta.model_name}"
        if f"admin:{info}_simple_history" in names:
            version = world.objects[row.obj].history.latest("history_date").history_id
            walk.request(
                "get", _admin_url(model, "simple_history", pk, version), history, admin=True
            )
        walk.request(
            "get",
            f"/admin/{model._meta.app_label}/{model._meta.model_name}/{pk}/",
            staff(To(_admin_url(model, "change", pk)))[role],
            admin=True,
        )
    for name, page in ADMIN_SITE.items():
        walk.request("get", _portal_url(name, page, world), page.get[role], admin=True)
    for app_label, table in APP_INDEX.items():
        url = reverse("admin:app_list", kwargs={"app_label": app_label})
        walk.request("get", url, table[role], admin=True)
    walk.request("get", ADMIN_CATCH_ALL, staff(MISSING)[role], admin=True)

    assert walk.mismatches == [], "\n".join(walk.mismatches)
    assert walk.leaks == {}
    history_forms = sum(1 for name in names if name.endswith("_simple_history"))
    assert history_forms == 26
    assert (
        walk.count
        == 6 * ADMIN_MODEL_COUNT
        + 2 * len(ADMIN_SEARCHED)
        + history_forms
        + len(ADMIN_SITE)
        + len(APP_INDEX)
        + 1
        == 333
    )


@pytest.mark.parametrize("role", ROLES)
def test_refused_posts_are_refused_and_change_nothing(client, users, world, role):
    """Every POST a role may not make, in the portal and the admin (add, change, delete),
    gets its refusal, and no row of any table changes."""
    walk = Walk(client, users, role, world)
    before = _snapshot()
    for name, page in PORTAL.items():
        if page.post is not None and page.post[role] is not ALLOWED:
            walk.request(
                "post",
                _portal_url(name, page, world),
                page.post[role],
                data=_post_data(page, world),
            )
    for label, row in ADMIN.items():
        model = apps.get_model(label)
        pk = world.objects[row.obj].pk
        for page, allowed, args, data in (
            ("add", row.add, (), {}),
            ("change", row.change, (pk,), {}),
            ("delete", row.delete, (pk,), {"post": "yes"}),
        ):
            if role not in allowed:
                expected = _admin_answer(row, page, role) if page != "change" else None
                if page == "change":
                    # Seeing the record is not changing it.
                    expected = DENIED if role in row.see else _admin_answer(row, page, role)
                walk.request(
                    "post", _admin_url(model, page, *args), expected, admin=True, data=data
                )

    assert walk.mismatches == [], "\n".join(walk.mismatches)
    assert walk.leaks == {}
    assert _changed(before, _snapshot()) == []
    assert walk.count > 0


def test_pages_without_a_post_refuse_one_with_405(client, users, world):
    """The POST table is complete: every other page is read-only, even for county staff."""
    walk = Walk(client, users, "county", world)
    for name, page in PORTAL.items():
        if page.post is None:
            walk.request("post", _portal_url(name, page, world), NOT_ALLOWED)

    assert walk.mismatches == [], "\n".join(walk.mismatches)
    assert walk.count == sum(1 for page in PORTAL.values() if page.post is None)


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("returns:transition", "township"),
        ("ratings:declaration_edit", "clerk"),
        ("ratings:evidence_remove", "clerk"),
        ("ratings:judging_close", "judge"),
        ("ratings:objection_moderate", "county"),
        ("ratings:staff_rating_revoke", "county"),
        ("services:admission_approve", "county"),
        ("portal:manage_announcement_withdraw", "county"),
        ("services:helper_end", "clerk"),
    ],
)
def test_the_refused_posts_change_records_when_allowed(client, users, world, name, role):
    """The control: the same POST from someone allowed does change records, so that "no row
    changed" above means the refusal stopped it."""
    page = PORTAL[name]
    assert page.post[role] is ALLOWED
    before = _snapshot()

    response = login(client, users, role).post(
        _portal_url(name, page, world), _post_data(page, world)
    )

    assert response.status_code == 302
    assert _changed(before, _snapshot()) != []


@pytest.mark.parametrize(
    ("role", "shown"), [("clerk", False), ("township", False), ("county", True)]
)
def test_history_link_only_for_who_may_open_the_history(client, users, world, role, shown):
    """The admin's History link (object tools) leads to a page only county staff may open:
    township staff and clerks do not see the link, rather than a 403 behind it."""
    home = world.objects["home"]
    login(client, users, role)

    change = client.get(reverse("admin:communities_community_change", args=[home.pk]))
    history = client.get(reverse("admin:communities_community_history", args=[home.pk]))

    assert change.status_code == 200
    assert ('class="historylink"' in change.content.decode()) is shown
    assert history.status_code == (200 if shown else 403)


# ---------- Every page a role may open, reached by clicking ----------

# Pages a role may open (OK in PORTAL above) that are reached otherwise than by a link on
# a page, and why. Every other page the role may open must be reached by the crawl below.
NOT_BY_A_LINK = {
    "portal:healthz": "asked by the load balancer, not by people",
    "switch_language": "the language buttons are a form",
    "set_language": "the language buttons are a form",
    "login": "staff are logged in already",
    "ratings:objection_submit": "the notice page holds its form, which is sent by POST",
    "password_reset": "for people logged out: the log-in page links to it",
    "password_reset_done": "the reset form's answer",
    "password_reset_confirm": "the link in the reset e-mail",
    "password_reset_complete": "the answer to a new password set from the e-mailed link",
}
NOT_BY_A_LINK_FOR = {
    **dict.fromkeys(
        [("services:volunteer_points", "clerk"), ("services:volunteer_points", "county")],
        "a party member's record links to the contribution-points card; the walk's volunteer"
        " is not a party member",
    ),
    **dict.fromkeys(
        [("ratings:evidence_file", "township"), ("ratings:evidence_thumbnail", "township")],
        "township staff may fetch a declaration's files, but the declaration page that lists"
        " them is the clerk's and the county's",
    ),
    ("ratings:staff_rating_revoke", "county"): (
        "the ranking links each rating to its revocation; the walk's rating has no declaration"
        " (a rating taken from the record, as 2008's)"
    ),
    ("returns:import_preview", "county"): (
        "an upload's preview is its uploader's page; county staff may open a clerk's from its"
        " address, which the clerk gives when asking for help"
    ),
}
# Each address pattern is opened this often at most (lists link to many rows of one kind).
CRAWL_PER_PATTERN = 8
DOWNLOAD = re.compile(r"(_csv|_xlsx|template|_file|_thumbnail)$")


def _targets(url, response):
    """What a person can click on the page: its links, and its GET forms' buttons submitted
    with the form's default values."""
    page = soup(response)
    for link in page.select("a[href]"):
        yield urljoin(url, link["href"])
    for image in page.select("img[src]"):
        yield urljoin(url, image["src"])
    for form in page.select("form"):
        if form.get("method", "get").lower() != "get":
            continue
        values = [
            (field["name"], field.get("value", ""))
            for field in form.select("input[name]")
            if field.get("type") not in ("checkbox", "radio", "submit") or field.has_attr("checked")
        ]
        for select in form.select("select[name]"):
            chosen = select.select_one("option[selected]") or select.select_one("option")
            if chosen is not None:
                values.append((select["name"], chosen.get("value", chosen.text)))
        actions = {form.get("action") or url} | {
            button["formaction"] for button in form.select("button[formaction]")
        }
        for action in actions:
            yield f"{urljoin(url, action)}?{urlencode(values)}"


def crawl(client, start: str) -> set[str]:
    """The URL names of every portal page reached from `start` by clicking: links followed
    (with their redirects) and GET forms submitted as they stand. An HTML page is opened (up
    to CRAWL_PER_PATTERN addresses of each name) and what it offers followed; a download
    counts as reached when a page offers it."""
    reached, opened, queue = set(), Counter(), deque([start])
    seen = {start}
    while queue:
        url = queue.popleft()
        response = client.get(url, follow=True)
        for hop in [url, *(address for address, _status in response.redirect_chain)]:
            with contextlib.suppress(Resolver404):
                reached.add(resolve(urlsplit(urljoin(url, hop)).path).view_name)
        if response.status_code != OK or "text/html" not in response.get("Content-Type", ""):
            continue
        here = response.redirect_chain[-1][0] if response.redirect_chain else url
        for target_url in _targets(here, response):
            address = urlsplit(target_url)
            if address.netloc not in ("", "testserver") or address.path.startswith("/admin/"):
                continue
            try:
                name = resolve(address.path).view_name
            except Resolver404:
                continue
            reached.add(name)
            target = address.path + (f"?{address.query}" if address.query else "")
            if target in seen or DOWNLOAD.search(name) or name == "switch_language":
                continue
            if opened[name] >= CRAWL_PER_PATTERN:
                continue
            seen.add(target)
            opened[name] += 1
            queue.append(target)
    return reached


@pytest.mark.parametrize("role", ["clerk", "township", "county", "judge"])
def test_every_page_a_role_may_open_is_reached_by_clicking_from_its_landing_page(
    client, users, world, role
):
    client.force_login(users[role])

    reached = crawl(client, resolve_url(settings.LOGIN_REDIRECT_URL))

    may_open = {name for name, page in PORTAL.items() if page.get[role] == OK}
    excused = set(NOT_BY_A_LINK) | {name for name, who in NOT_BY_A_LINK_FOR if who == role}
    missing = sorted(may_open - excused - reached)
    assert missing == [], f"{role} cannot reach by clicking: {', '.join(missing)}"
