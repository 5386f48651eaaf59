"""Bad input: generated values thrown at every form a user can post in the portal.

ROUTES lists every route outside the admin whose view accepts a POST: who may post it, the
fields of its form (each with a strategy of plausible values), and how a stored record must
read back. `test_every_post_route_is_listed` fails when a route that takes a POST is added
without an entry, so a new form cannot miss these checks.

For each form, hypothesis mixes plausible values with hostile ones (unicode, control
characters, NUL bytes, very long strings, huge, negative, NaN and infinite numbers, bad dates,
unknown choices, missing fields, lists for single values, extra fields) and posts them as the
user allowed to. Whatever arrives, the portal answers without a 500: it either stores the
record, which then reads back as posted, or refuses with the reason shown and leaves every
table as it was (no half record). Each example runs in a transaction rolled back at its end.
"""

import datetime
import io
import os
import traceback
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from html.parser import HTMLParser
from types import SimpleNamespace
from urllib.parse import unquote_to_bytes, urljoin

import openpyxl
import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.messages import constants, get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import Q
from django.forms.formsets import BaseFormSet
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from chunan_community.months import add_months, month_start
from communities.forms import SELECT_MAX
from communities.models import (
    CoBuildingPairing,
    Community,
    Facility,
    GovernanceBody,
    Honour,
    Indicator,
    MonthlyReturn,
    PartyBranch,
    ReturnEvent,
    ReturnImport,
    ReturnStatus,
    ReturnValue,
    Role,
    Term,
)
from communities.returns import domain as returns_domain
from communities.returns.excel import template_workbook
from communities.returns.imports import return_import_create
from notifications.models import (
    Delivery,
    DeliveryStatus,
    Kind,
    Message,
    Mode,
    Preference,
    Profile,
)
from notifications.reminders import kinds_for
from portal import announcements
from portal.models import Announcement
from ratings import uploads
from ratings.models import (
    ConflictOfInterest,
    Criterion,
    Declaration,
    Evidence,
    JudgeAssignment,
    Objection,
    Rating,
    Round,
    RoundEvent,
    RoundStatus,
    Score,
    ScoreSheet,
    Tier,
)
from ratings.objections import objection_submit
from reports.circular import circular_periods
from reports.models import Publication
from services import admission
from services.admission_forms import split_codes
from services.domain import service_record
from services.households_domain import helper_pair
from services.models import (
    AdmissionRequest,
    AssistanceVisit,
    AssistedHousehold,
    ContributionPoints,
    HelperPairing,
    HelpKind,
    ProcessingProject,
    ReemploymentOutcome,
    ServiceRecord,
    TimeBankEntry,
    TrainingClass,
    Volunteer,
)
from tests.factories import (
    PASSWORD,
    make_body,
    make_branch,
    make_community,
    make_household,
    make_indicator,
    make_pairing,
    make_term,
    make_unit,
    make_user,
    make_volunteer,
)
from tests.ratings.factories import make_assignment, make_criterion, make_declaration, make_round

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
PERIOD = add_months(month_start(TODAY), -1)  # last month: open for entry
MONTH = f"{PERIOD:%Y-%m}"
PORTAL_APPS = ("communities", "ratings", "services", "portal")

# ---------- Values: plausible and hostile ----------

MISSING = object()

NASTY = [
    "",
    " ",
    "\x00",
    "1\x00",
    "a\x00b",
    "\r\n",
    "\t\x0b\x0c",
    "\x1b[31m",
    "\u202e",
    "\ufeff",
    "\u200b",
    "\ud7ff",
    "🙂" * 50,
    "\U0001d7d8\U0001d7d9",  # mathematical digits
    "\uff11\uff12\uff13",  # full-width digits
    "<script>alert(1)</script>",
    "' OR '1'='1' --",
    "%s %(x)s {0} %%",
    "../../etc/passwd",
    "NaN",
    "-nan",
    "sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    "1e400",
    "-1e400",
    "1E+999999999",
    "9" * 400,
    "-" + "9" * 30,
    "0x1F",
    "1_000",
    "-0",
    "0.000000000000000001",
    "2026-02-30",
    "0000-00-00",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2026-13",
    "2026-00",
    "-2026-01",
    "2026-1-1",
    "yesterday",
    "true",
    "null",
    "[]",
    "{}",
    "x" * 5000,
    "长" * 20000,
]

HOSTILE = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.text(st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Co"]), min_size=1, max_size=8),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)

# Names a form does not have, some of them model fields a form must never take from a post.
EXTRA_KEYS = [
    "id",
    "pk",
    "community",
    "community_id",
    "status",
    "version",
    "by",
    "uploaded_by",
    "judge",
    "is_staff",
    "is_superuser",
    "is_sample",
    "a[]",
    "x" * 300,
]


def words(max_size: int, min_size: int = 1):
    """Text a person might type: letters (Chinese too), digits, punctuation, spaces."""
    return st.text(
        st.characters(categories=["L", "N", "P", "S", "Zs"]), min_size=min_size, max_size=max_size
    )


def whole(low: int, high: int):
    return st.integers(low, high).map(str)


def amount(low, high, places: int = 2):
    return st.decimals(
        min_value=Decimal(low), max_value=Decimal(high), places=places, allow_nan=False
    ).map(str)


def day(low: datetime.date, high: datetime.date = TODAY):
    return st.dates(low, high).map(datetime.date.isoformat)


def month(low: datetime.date, high: datetime.date):
    return st.dates(low, high).map(lambda d: f"{d:%Y-%m}")


def choice(values):
    return st.sampled_from([str(value) for value in values])


def tick():
    return st.sampled_from(["on", ""])


def upload(contents, names=("file.xlsx",)):
    # Any name a file can have: Django will not make a file named "", "." or "..".
    named = st.text(min_size=1, max_size=20).filter(
        lambda name: os.path.basename(name) not in {"", ".", ".."}
    )
    return st.builds(
        lambda content, name: SimpleUploadedFile(name, content),
        contents,
        st.sampled_from(list(names)) | named,
    )


def _value(plausible):
    return st.one_of(
        plausible,
        HOSTILE,
        st.lists(st.one_of(plausible, HOSTILE), min_size=2, max_size=3),
        st.just(MISSING),
    )


def _merge(values: dict, extras: dict) -> dict:
    data = {key: value for key, value in extras.items() if key not in values}
    data.update({key: value for key, value in values.items() if value is not MISSING})
    return data


def payloads(fields: dict):
    """Posts: every field plausible, or each field plausible, hostile, a list or missing;
    with up to three fields the form does not have."""
    plausible = st.fixed_dictionaries(fields)
    mixed = st.fixed_dictionaries({name: _value(strategy) for name, strategy in fields.items()})
    extras = st.dictionaries(
        st.one_of(st.sampled_from(EXTRA_KEYS), st.text(min_size=1, max_size=12)),
        st.one_of(HOSTILE, st.lists(HOSTILE, max_size=3)),
        max_size=3,
    )
    return st.builds(_merge, st.one_of(plausible, mixed), extras)


def last(data: dict, key: str) -> str:
    """What a view reads for `key` (QueryDict.get: the last of several values)."""
    value = data.get(key, "")
    if isinstance(value, list):
        return value[-1] if value else ""
    return value


def cleaned(field_: forms.Field, data: dict, key: str):
    """What a form field makes of the posted value: the expected value of a stored record."""
    with translation.override("en"):
        return field_.clean(last(data, key))


def text(data, key) -> str:
    return cleaned(forms.CharField(required=False), data, key)


def number(data, key) -> Decimal | None:
    value = text(data, key)
    return Decimal(value) if value else None


def date(data, key) -> datetime.date:
    return cleaned(forms.DateField(), data, key)


def checked(data, key) -> bool:
    """A tick box as Django reads it: ticked unless absent, empty or "false" ("0" ticks it)."""
    posted = {key: last(data, key)} if key in data else {}
    return forms.CheckboxInput().value_from_datadict(posted, {}, key)


# ---------- The routes ----------


@dataclass(frozen=True)
class Route:
    """A route that accepts a POST.

    user: who posts it (a key of world.users); None for the public.
    url: the address to post to, in the world.
    fields: the form's fields with strategies of plausible values; an empty dict for a
        button (a post without fields); None for a page that takes no input at all.
    tables: the models whose rows a refusal must leave exactly as they were (every table of
        the portal's apps is also counted).
    stored: after a success, checks that what was stored reads back as posted.
    quiet: posts refused without a message on purpose (the objection form's bot trap, the
        confirmation step of moving a round on).
    signed_in: the form signs in: success is a session, not a row.
    note: for a route without a form, why it takes a POST.
    """

    name: str
    user: str | None
    url: Callable
    fields: Callable | None = None
    tables: tuple = ()
    stored: Callable | None = None
    quiet: Callable | None = None
    signed_in: bool = False
    note: str = ""


def _return_url(world):
    return reverse("returns:detail", kwargs={"code": "home", "month": MONTH})


def _return_fields(world):
    fields = {"version": st.just("0") | whole(0, 3), "action": choice(["save", "submit"])}
    fields["v_households"] = whole(0, 100_000)
    fields["c_households"] = words(300, 0)
    fields["v_funds"] = amount(0, 1_000_000) | st.just("")
    fields["c_funds"] = words(300, 0)
    return fields


def _return_stored(world, data):
    saved = MonthlyReturn.objects.get(community=world.home, period=PERIOD)
    values = {
        row.indicator.code: (row.value, row.comment)
        for row in ReturnValue.objects.filter(monthly_return=saved).select_related("indicator")
    }
    for code in ("households", "funds"):
        value = number(data, f"v_{code}")
        comment = text(data, f"c_{code}")
        if value is not None or comment:
            assert values[code] == (value, comment)
    expected = ReturnStatus.SUBMITTED if last(data, "action") == "submit" else ReturnStatus.DRAFT
    assert saved.status == expected


def _transition_stored(world, data):
    world.submitted_return.refresh_from_db()
    event = ReturnEvent.objects.filter(monthly_return=world.submitted_return).last()
    assert (world.submitted_return.status, event.reason) == (
        ReturnStatus.RETURNED,
        text(data, "send_back-reason"),
    )


def _import_stored(world, data):
    created = ReturnImport.objects.exclude(pk=world.return_import.pk).get()
    assert created.uploaded_by == world.users["clerk"]


def _preview_stored(world, data):
    world.return_import.refresh_from_db()
    assert world.return_import.status == ReturnImport.Status.APPLIED
    assert MonthlyReturn.objects.filter(community=world.home, period=PERIOD).exists()


def _advance_stored(world, data):
    world.r_planned.refresh_from_db()
    assert world.r_planned.status == last(data, "to")
    event = RoundEvent.objects.filter(round=world.r_planned).last()
    assert event.note == text(data, "note")


def _assign_stored(world, data):
    username = text(data, "username")
    assignment = JudgeAssignment.objects.get(round=world.r_review, judge__username=username)
    assert assignment.is_chair == checked(data, "is_chair")


def _conflict_stored(world, data):
    conflict = ConflictOfInterest.objects.get(round=world.r_review)
    assert (conflict.judge_id, conflict.community.code, conflict.reason) == (
        int(last(data, "judge")),
        last(data, "community").strip(),
        text(data, "reason"),
    )


def _confirm_stored(world, data):
    world.r_notice_done.refresh_from_db()
    assert world.r_notice_done.status == RoundStatus.FINAL


def _revoke_stored(world, data):
    world.rating.refresh_from_db()
    assert (world.rating.revoked_on, world.rating.revoked_reason) == (
        TODAY,
        text(data, "reason"),
    )


def _declaration_stored(world, data):
    declaration = Declaration.objects.get(round=world.r_open, community=world.home)
    action = last(data, "action")
    if action == "withdraw":
        assert declaration.status == Declaration.Status.WITHDRAWN
        return
    stars = int(last(data, "target_stars")) if last(data, "target_tier") == Tier.STAR else None
    assert (
        declaration.target_tier,
        declaration.target_stars,
        declaration.self_assessment,
        declaration.status,
    ) == (
        last(data, "target_tier"),
        stars,
        text(data, "self_assessment"),
        Declaration.Status.SUBMITTED if action == "submit" else Declaration.Status.DRAFT,
    )


def _sheet_stored(world, data):
    sheet = ScoreSheet.objects.get(judge=world.users["judge"], declaration=world.judged)
    points = {score.criterion_id: score.points for score in Score.objects.filter(sheet=sheet)}
    if checked(data, "abstain"):
        assert (sheet.abstained, points) == (True, {})
    else:
        assert (sheet.abstained, points) == (
            False,
            {c.pk: number(data, f"points_{c.pk}") for c in world.criteria},
        )


def _close_stored(world, data):
    world.r_review.refresh_from_db()
    assert world.r_review.status == RoundStatus.RANKING
    assert RoundEvent.objects.filter(round=world.r_review).last().note == text(data, "note")


def _evidence_stored(world, data):
    added = Evidence.objects.exclude(pk=world.evidence.pk).get()
    assert (added.declaration, added.caption, added.uploaded_by) == (
        world.draft,
        text(data, "caption"),
        world.users["clerk"],
    )


def _evidence_removed(world, data):
    assert not Evidence.objects.filter(pk=world.evidence.pk).exists()


def _objection_stored(world, data):
    objection = Objection.objects.exclude(pk=world.objection.pk).get(round=world.r_notice)
    community = last(data, "community").strip()
    assert (
        objection.community_id,
        objection.text,
        objection.name,
        objection.contact,
        objection.status,
    ) == (
        int(community) if community else None,
        text(data, "text"),
        text(data, "name"),
        text(data, "contact"),
        Objection.Status.PENDING,
    )


def _objection_bot(data) -> bool:
    return bool(last(data, "website").strip())


def _moderate_stored(world, data):
    world.objection.refresh_from_db()
    assert (
        world.objection.status,
        world.objection.handling,
        world.objection.public_reply,
    ) == (last(data, "status"), text(data, "handling"), text(data, "public_reply"))


def _announcement_fields(world):
    return {
        "title": words(200),
        "body": words(2000),
        "published_on": day(TODAY, TODAY + 365 * DAY) | st.just(""),
        "attachment": upload(
            st.sampled_from([PDF]) | st.binary(max_size=200), ["通知.pdf", "a.pdf"]
        )
        | st.just(""),
        "round": choice(["", world.r_open.pk, world.r_final.pk]),
    }


def _announcement_edit_fields(world):
    fields = _announcement_fields(world)
    # The date it had (in the past) may be kept; a new one lies today or later.
    kept = world.announcement.published_on.isoformat()
    fields["published_on"] = fields["published_on"] | st.just(kept)
    fields["remove_attachment"] = tick()
    return fields


def _sent_files(data, key) -> list[bytes]:
    """The contents of the files posted under `key` (a list may hold several)."""
    value = data.get(key, [])
    values = value if isinstance(value, list) else [value]
    return [v.file.getvalue() for v in values if isinstance(v, SimpleUploadedFile)]


def _announcement_check(announcement, data, *, kept: bytes | None = None):
    """The announcement reads back as posted: its title, text, date and round; its file is
    one that was sent, or (editing, not removing it) the one it had."""
    round_pk = last(data, "round").strip()
    assert (
        announcement.title,
        announcement.body,
        announcement.published_on,
        announcement.round_id,
        announcement.withdrawn_on,
    ) == (
        text(data, "title"),
        text(data, "body"),
        cleaned(forms.DateField(required=False), data, "published_on"),
        int(round_pk) if round_pk else None,
        None,
    )
    if checked(data, "remove_attachment"):
        kept = None
    if announcement.has_attachment:
        with announcement.attachment.open("rb") as handle:
            content = handle.read()
        assert content in [*_sent_files(data, "attachment"), kept]
        assert (announcement.attachment_type, announcement.attachment_size) == (
            "application/pdf",
            len(content),
        )
        assert announcement.attachment_name
    else:
        assert kept is None
        assert (announcement.attachment_name, announcement.attachment_size) == ("", 0)


def _announcement_added(world, data):
    added = Announcement.objects.exclude(pk=world.announcement.pk).get()
    assert added.created_by == world.users["county"]
    _announcement_check(added, data)


def _announcement_edited(world, data):
    world.announcement.refresh_from_db()
    _announcement_check(world.announcement, data, kept=PDF)


def _announcement_withdrawn(world, data):
    world.announcement.refresh_from_db()
    assert (world.announcement.withdrawn_on, world.announcement.withdrawn_by) == (
        TODAY,
        world.users["county"],
    )


def _publish_fields(world):
    periods = [period.value for period in circular_periods(TODAY)]
    return {
        "period": choice([*periods[:3], "2026-13", ""]),
        "number": words(60) | st.just(""),
        "published_on": day(TODAY, TODAY + 365 * DAY) | st.just(""),
        "note": words(2000) | st.just(""),
    }


def _published(world, data):
    publication = Publication.objects.get()
    assert publication.published_by == world.users["county"]
    assert publication.number == data["number"].strip()
    assert publication.published_on.isoformat() == data["published_on"]
    assert publication.as_document.number == publication.number


def _admission_fields(world):
    return {
        "department": words(100),
        "task": words(300),
        "received_on": day(datetime.date(2020, 1, 1)),
        "funds_follow": tick(),
        "funds_yuan": amount(0, 10**10 - 1) | st.just(""),
        "staff_follow": tick(),
        "authority_follow": tick(),
        "all_communities": tick(),
        "communities": st.lists(choice(world.community_pks), max_size=3),
    }


def _admission_check(item, data):
    assert (
        item.department,
        item.task,
        item.funds_follow,
        item.staff_follow,
        item.authority_follow,
        item.received_on,
    ) == (
        text(data, "department"),
        text(data, "task"),
        checked(data, "funds_follow"),
        checked(data, "staff_follow"),
        checked(data, "authority_follow"),
        date(data, "received_on"),
    )
    chosen = set(item.communities.values_list("pk", flat=True))
    if checked(data, "all_communities"):
        assert chosen == set(admission.active_communities().values_list("pk", flat=True))
    else:
        posted = data.get("communities", [])
        posted = posted if isinstance(posted, list) else [posted]
        assert chosen == {int(pk) for pk in posted}


def _admission_new_stored(world, data):
    _admission_check(AdmissionRequest.objects.exclude(pk=world.admission.pk).get(), data)


def _admission_edit_stored(world, data):
    world.admission.refresh_from_db()
    _admission_check(world.admission, data)


def _decided(action):
    def stored(world, data):
        world.admission.refresh_from_db()
        status = {"approve": "approved", "refuse": "refused"}[action]
        assert (world.admission.status, world.admission.decision_reason) == (
            status,
            text(data, f"{action}-reason"),
        )

    return stored


def _training_fields(world):
    return {
        "name": words(100),
        "starts_on": day(datetime.date(2000, 1, 1)),
        "ends_on": day(datetime.date(2000, 1, 1)),
        "trainees": whole(0, 1_000_000),
        "completions": whole(0, 1_000_000),
    }


def _training_check(row, data):
    assert (row.name, row.starts_on, row.ends_on, row.trainees, row.completions) == (
        text(data, "name"),
        date(data, "starts_on"),
        date(data, "ends_on"),
        int(number(data, "trainees")),
        int(number(data, "completions")),
    )


def _processing_fields(world):
    return {
        "name": words(100),
        "year": whole(1949, 2100),
        "participants": whole(0, 1_000_000),
        "income_yuan": amount(0, 10**10 - 1),
    }


def _processing_check(row, data):
    assert (row.name, row.year, row.participants, row.income_yuan) == (
        text(data, "name"),
        int(number(data, "year")),
        int(number(data, "participants")),
        number(data, "income_yuan"),
    )


def _outcome_fields(world):
    return {"month": month(datetime.date(2000, 1, 1), TODAY), "reemployed": whole(0, 1_000_000)}


def _outcome_check(row, data):
    assert (f"{row.month:%Y-%m}", row.reemployed) == (
        text(data, "month"),
        int(number(data, "reemployed")),
    )


def _added(model, check):
    def stored(world, data):
        check(model.objects.exclude(pk=world.existing[model].pk).get(), data)

    return stored


def _edited(model, check):
    def stored(world, data):
        check(model.objects.get(pk=world.existing[model].pk), data)

    return stored


def _household_fields(world):
    return {
        "household_name": words(50),
        "phone": st.from_regex(r"\+?[0-9]{5,15}", fullmatch=True) | st.just(""),
        "category": choice(AssistedHousehold.Category.values),
        "help_hardship": tick(),
        "help_medical": tick(),
        "help_schooling": tick(),
        "active": tick(),
    }


def _household_check(row, data):
    assert (
        row.household_name,
        row.phone,
        row.category,
        row.help_hardship,
        row.help_medical,
        row.help_schooling,
        row.active,
    ) == (
        text(data, "household_name"),
        text(data, "phone"),
        last(data, "category"),
        checked(data, "help_hardship"),
        checked(data, "help_medical"),
        checked(data, "help_schooling"),
        checked(data, "active"),
    )


def _household_added(world, data):
    _household_check(AssistedHousehold.objects.exclude(pk=world.household.pk).get(), data)


def _household_edited(world, data):
    world.household.refresh_from_db()
    _household_check(world.household, data)


def _helper_stored(world, data):
    pairing = HelperPairing.objects.exclude(pk=world.pairing.pk).get()
    unit = last(data, "pair-co_building_unit").strip()
    volunteer = last(data, "pair-volunteer").strip()
    assert (
        pairing.household,
        pairing.co_building_unit_id,
        pairing.volunteer_id,
        pairing.started_on,
    ) == (
        world.household,
        int(unit) if unit else None,
        int(volunteer) if volunteer else None,
        date(data, "pair-started_on"),
    )


def _helper_ended(world, data):
    world.pairing.refresh_from_db()
    assert world.pairing.ended_on == date(data, f"end-{world.pairing.pk}-ended_on")


def _visit_stored(world, data):
    visit = AssistanceVisit.objects.get()
    volunteer = last(data, "by_volunteer").strip()
    assert (visit.visited_on, visit.kind, visit.by_volunteer_id, visit.hours, visit.note) == (
        date(data, "visited_on"),
        last(data, "kind"),
        int(volunteer) if volunteer else None,
        number(data, "hours"),
        text(data, "note"),
    )


def _volunteer_fields(world):
    return {
        "name": words(50),
        "phone": st.from_regex(r"\+?[0-9][0-9 -]{4,18}", fullmatch=True) | st.just(""),
        "kind": choice(Volunteer.Kind.values),
        "registered_on": day(datetime.date(1990, 1, 1), world.volunteer.registered_on),
        "active": tick(),
    }


def _volunteer_check(volunteer, data, *, editing):
    assert (
        volunteer.community,
        volunteer.name,
        volunteer.phone,
        volunteer.kind,
        volunteer.registered_on,
    ) == (
        volunteer.community,
        " ".join(last(data, "name").split()),
        text(data, "phone"),
        last(data, "kind"),
        date(data, "registered_on"),
    )
    assert volunteer.community.code == "home"
    assert volunteer.active is (checked(data, "active") if editing else True)


def _volunteer_added(world, data):
    volunteers = Volunteer.objects.exclude(pk__in=[world.volunteer.pk, world.member.pk])
    _volunteer_check(volunteers.get(), data, editing=False)


def _volunteer_edited(world, data):
    world.volunteer.refresh_from_db()
    _volunteer_check(world.volunteer, data, editing=True)


def _session_fields(world, prefix=""):
    return {
        f"{prefix}served_on": day(world.volunteer.registered_on),
        f"{prefix}hours": amount("0.01", 24),
        f"{prefix}activity": words(200),
        f"{prefix}household": choice(["", world.household.pk]),
    }


def _session_check(record, data, prefix=""):
    household = last(data, f"{prefix}household").strip()
    assert (record.served_on, record.hours, record.activity, record.household_id) == (
        date(data, f"{prefix}served_on"),
        number(data, f"{prefix}hours"),
        text(data, f"{prefix}activity"),
        int(household) if household else None,
    )
    entry = TimeBankEntry.objects.get(service_record=record)
    assert (entry.hours, entry.on) == (record.hours, record.served_on)


def _session_stored(world, data):
    _session_check(ServiceRecord.objects.exclude(pk=world.service.pk).get(), data)


def _slips_fields(world):
    fields = {
        "slips-TOTAL_FORMS": st.just("2") | whole(0, 3),
        "slips-INITIAL_FORMS": st.just("0"),
        "slips-MIN_NUM_FORMS": st.just("0"),
        "slips-MAX_NUM_FORMS": st.just("50"),
    }
    for row in range(2):
        prefix = f"slips-{row}-"
        fields[f"{prefix}volunteer"] = choice([world.volunteer.pk, world.member.pk])
        fields.update(_session_fields(world, prefix))
    return fields


def _slips_stored(world, data):
    records = list(ServiceRecord.objects.exclude(pk=world.service.pk).order_by("pk"))
    total = int(last(data, "slips-TOTAL_FORMS"))
    # The rows sent (TOTAL_FORMS) with anything typed in them; blank rows are ignored.
    rows = [
        f"slips-{row}-"
        for row in range(min(total, 2))
        if any(
            last(data, f"slips-{row}-{name}").strip()
            for name in ("volunteer", "served_on", "hours", "activity", "household")
        )
    ]
    assert len(records) == len(rows)
    for record, prefix in zip(records, rows, strict=True):
        assert record.volunteer_id == int(last(data, f"{prefix}volunteer"))
        _session_check(record, data, prefix)


def _draw_stored(world, data):
    entry = TimeBankEntry.objects.get(kind=TimeBankEntry.Kind.DRAW)
    assert (entry.volunteer, -entry.hours, entry.on, entry.note) == (
        world.volunteer,
        number(data, "hours").quantize(Decimal("0.01")),
        date(data, "on"),
        text(data, "note"),
    )


def _points_stored(world, data):
    line = ContributionPoints.objects.get()
    year = text(data, "year")
    assert (line.volunteer, line.on, line.year, line.activity, line.points) == (
        world.member,
        date(data, "on"),
        int(number(data, "year")) if year else date(data, "on").year,
        text(data, "activity"),
        int(number(data, "points")),
    )


def _login_fields(world):
    return {
        "username": choice(["clerk", "county", "judge", "nobody"]),
        "password": st.just(PASSWORD) | words(20),
    }


User = get_user_model()


# ---------- A person's own pages and the outbox (issue 15) ----------


def _account_fields(world):
    return {
        "email": st.emails().map(str) | st.just(""),
        "phone": st.sampled_from(
            ["13812345678", "+86 138 1234 5678", "\uff11\uff13\uff18 1234 5678", ""]
        )
        | words(20),
        "sms": tick(),
        "language": choice(["zh-hans", "en"]),
    }


def _account_stored(world, data):
    clerk = world.users["clerk"]
    clerk.refresh_from_db()
    profile = Profile.objects.get(user=clerk)
    assert clerk.email == last(data, "email").strip()
    assert profile.language == last(data, "language")
    assert profile.sms == (last(data, "sms") == "on")
    assert profile.phone == " ".join(unicodedata.normalize("NFKC", last(data, "phone")).split())


def _preference_fields(world):
    return {kind.value: choice(Mode.values) for kind in kinds_for(world.users["clerk"])}


def _preferences_stored(world, data):
    stored = dict(Preference.objects.filter(user=world.users["clerk"]).values_list("kind", "mode"))
    assert stored == {
        kind.value: last(data, kind.value) for kind in kinds_for(world.users["clerk"])
    }


def _all_read(world, data):
    assert not Message.objects.filter(recipient=world.users["clerk"], read_at__isnull=True).exists()


def _retried(world, data):
    world.delivery.refresh_from_db()
    assert (world.delivery.status, world.delivery.attempts) == (DeliveryStatus.PENDING, 0)


# ---------- The community's record (issue 14) ----------

GROUND = datetime.date(2000, 1, 1)


def _management(prefix, total, initial):
    return {
        f"{prefix}-TOTAL_FORMS": st.just(str(total)),
        f"{prefix}-INITIAL_FORMS": st.just(str(initial)),
        f"{prefix}-MIN_NUM_FORMS": st.just("0"),
        f"{prefix}-MAX_NUM_FORMS": st.just("200"),
    }


def _typed(data, *keys) -> bool:
    """Whether anything is typed in these text boxes of a blank row."""
    return any(last(data, key).strip() for key in keys)


def _basic_fields(world):
    return {
        "address": words(200, 0),
        "office_phone": st.from_regex(r"0571-6[0-9]{7}", fullmatch=True) | st.just(""),
        "contact_person": words(50, 0),
        "households": whole(0, 1_000_000),
        "residents": whole(0, 10_000_000),
        "description": words(500, 0),
    }


def _basic_stored(world, data):
    home = Community.objects.get(pk=world.home.pk)
    phone = " ".join(unicodedata.normalize("NFKC", text(data, "office_phone")).split())
    assert (
        home.address,
        home.office_phone,
        home.contact_person,
        home.households,
        home.residents,
        home.description,
        home.figures_are_sample,
    ) == (
        text(data, "address"),
        phone,
        text(data, "contact_person"),
        int(number(data, "households")),
        int(number(data, "residents")),
        text(data, "description"),
        world.home.figures_are_sample,
    )


def _basic_unchanged(data) -> bool:
    return not _typed(data, "address", "office_phone", "contact_person", "description") and (
        last(data, "households"),
        last(data, "residents"),
    ) == ("1000", "3000")


FACILITY_KINDS = ("party_room", "police_room")


def _facility_fields(world):
    fields = {"premises_area_m2": amount(0, 1_000_000, 1)}
    for kind in FACILITY_KINDS:
        fields[f"facility-{kind}-present"] = tick()
        fields[f"facility-{kind}-area_m2"] = amount(0, 10_000, 1) | st.just("")
        fields[f"facility-{kind}-note"] = words(200, 0)
    return fields


def _facility_typed(data, kind) -> bool:
    key = f"facility-{kind}-"
    return checked(data, f"{key}present") or _typed(data, f"{key}area_m2", f"{key}note")


def _facilities_stored(world, data):
    assert Community.objects.get(pk=world.home.pk).premises_area_m2 == number(
        data, "premises_area_m2"
    )
    stored = {f.kind: f for f in Facility.objects.filter(community=world.home)}
    for kind in FACILITY_KINDS:
        key = f"facility-{kind}-"
        if not _facility_typed(data, kind):
            assert kind not in stored
            continue
        facility = stored[kind]
        assert (facility.present, facility.area_m2, facility.note) == (
            checked(data, f"{key}present"),
            number(data, f"{key}area_m2"),
            text(data, f"{key}note"),
        )


def _facilities_unchanged(data) -> bool:
    try:
        same = Decimal(last(data, "premises_area_m2").strip()) == Decimal(250)
    except ArithmeticError:
        same = False
    return same and not any(_facility_typed(data, kind) for kind in FACILITY_KINDS)


def _term_fields(prefix, numbers):
    return {
        f"{prefix}number": whole(*numbers),
        f"{prefix}elected_on": day(GROUND, datetime.date(2009, 12, 31)),
        f"{prefix}starts_on": day(datetime.date(2010, 1, 1), datetime.date(2014, 12, 31)),
        f"{prefix}ends_on": day(datetime.date(2015, 1, 1), datetime.date(2030, 12, 31)),
        f"{prefix}members": whole(0, 1000),
    }


def _bodies_fields(world):
    return {
        "body-party-name": words(100),
        "body-party-party_level": choice(GovernanceBody.PartyLevel.values),
        "body-residents_committee-name": words(100, 0),
        **_management("terms-party", 2, 1),
        "terms-party-0-id": st.just(str(world.term.pk)),
        **_term_fields("terms-party-0-", (1, 5)),
        **_term_fields("terms-party-1-", (6, 9)),
    }


def _term_check(term, data, prefix):
    assert (term.elected_on, term.starts_on, term.ends_on, term.members, term.is_sample) == (
        date(data, f"{prefix}elected_on"),
        date(data, f"{prefix}starts_on"),
        date(data, f"{prefix}ends_on"),
        int(number(data, f"{prefix}members")),
        False,
    )


def _bodies_stored(world, data):
    bodies = {b.kind: b for b in GovernanceBody.objects.filter(community=world.home)}
    party = bodies["party"]
    assert (party.name, party.party_level) == (
        text(data, "body-party-name"),
        last(data, "body-party-party_level"),
    )
    committee = text(data, "body-residents_committee-name")
    assert (bodies["residents_committee"].name if committee else None) == (committee or None)
    terms = {t.number: t for t in Term.objects.filter(body=party)}
    _term_check(terms[int(number(data, "terms-party-0-number"))], data, "terms-party-0-")
    if len(terms) == 2:
        _term_check(terms[int(number(data, "terms-party-1-number"))], data, "terms-party-1-")


def _branch_row(prefix):
    return {
        f"{prefix}name": words(100, 0),
        f"{prefix}is_building_level": tick(),
        f"{prefix}members": whole(0, 10_000),
    }


def _branches_fields(world):
    return {
        **_management("branches", 2, 1),
        "branches-0-id": st.just(str(world.branch.pk)),
        **_branch_row("branches-0-"),
        **_branch_row("branches-1-"),
    }


def _branch_check(branch, data, prefix):
    assert (branch.name, branch.is_building_level, branch.members, branch.is_sample) == (
        text(data, f"{prefix}name"),
        checked(data, f"{prefix}is_building_level"),
        int(number(data, f"{prefix}members")),
        False,
    )


def _branches_stored(world, data):
    _branch_check(PartyBranch.objects.get(pk=world.branch.pk), data, "branches-0-")
    added = PartyBranch.objects.filter(organisation=world.party).exclude(pk=world.branch.pk)
    if added:
        _branch_check(added.get(), data, "branches-1-")


def _pairing_row(world, prefix, units, start):
    return {
        f"{prefix}unit": choice(units),
        f"{prefix}party_branch": choice(["", world.branch.pk]),
        f"{prefix}started_on": day(start, datetime.date(2010, 12, 31)),
        f"{prefix}ended_on": st.just("") | day(datetime.date(2011, 1, 1)),
        f"{prefix}contribution": words(200, 0),
    }


def _pairings_fields(world):
    return {
        **_management("pairings", 2, 1),
        "pairings-0-id": st.just(str(world.record_pairing.pk)),
        **_pairing_row(world, "pairings-0-", [world.unit.pk], GROUND),
        **_pairing_row(world, "pairings-1-", ["", world.other_unit.pk], GROUND),
    }


def _pairing_check(pairing, data, prefix):
    branch = last(data, f"{prefix}party_branch").strip()
    ended = last(data, f"{prefix}ended_on").strip()
    assert (
        pairing.community.code,
        pairing.party_branch_id,
        pairing.started_on,
        pairing.ended_on,
        pairing.contribution,
    ) == (
        "home",
        int(branch) if branch else None,
        date(data, f"{prefix}started_on"),
        date(data, f"{prefix}ended_on") if ended else None,
        text(data, f"{prefix}contribution"),
    )


def _pairings_stored(world, data):
    stored = {p.unit_id: p for p in CoBuildingPairing.objects.filter(community=world.home)}
    _pairing_check(stored[world.unit.pk], data, "pairings-0-")
    if world.other_unit.pk in stored:
        _pairing_check(stored[world.other_unit.pk], data, "pairings-1-")


def _honours_fields(world):
    return {
        **_management("honours", 1, 0),
        "honours-0-title": words(100, 0),
        "honours-0-level": choice(Honour.Level.values),
        "honours-0-year": whole(1949, 2100) | st.just(""),
        "honours-0-awarding_body": words(100, 0),
    }


def _honours_stored(world, data):
    honour = Honour.objects.get(community=world.home)
    year = last(data, "honours-0-year").strip()
    assert (honour.title, honour.level, honour.year, honour.awarding_body) == (
        text(data, "honours-0-title"),
        last(data, "honours-0-level"),
        int(number(data, "honours-0-year")) if year else None,
        text(data, "honours-0-awarding_body"),
    )


def _honours_unchanged(data) -> bool:
    return not _typed(data, "honours-0-title", "honours-0-year", "honours-0-awarding_body") and (
        last(data, "honours-0-level") == ""
    )


def _record(section, user, fields, tables, stored, quiet=None):
    name = f"communities:edit_{section}"
    return Route(
        name,
        user,
        lambda w: reverse(name, kwargs={"code": "home"}),
        fields,
        tables,
        stored,
        quiet=quiet,
    )


def _employment(kind, model, fields, check, user="clerk"):
    add_name, edit_name = f"services:{kind}_add", f"services:{kind}_edit"
    return [
        Route(
            add_name,
            user,
            lambda w: reverse(add_name, kwargs={"code": "home"}),
            fields,
            (model,),
            _added(model, check),
        ),
        Route(
            edit_name,
            user,
            lambda w: reverse(edit_name, kwargs={"code": "home", "pk": w.existing[model].pk}),
            fields,
            (model,),
            _edited(model, check),
        ),
    ]


ROUTES = [
    # ---------- Signing in ----------
    Route("login", None, lambda w: reverse("login"), _login_fields, signed_in=True),
    Route("logout", "clerk", lambda w: reverse("logout"), note="no input: ends the session"),
    Route(
        "set_language",
        None,
        lambda w: reverse("set_language"),
        note="Django's view: sets the language cookie and redirects, whatever it is given",
    ),
    # ---------- The community's record ----------
    _record("basic", "clerk", _basic_fields, (Community,), _basic_stored, _basic_unchanged),
    _record(
        "facilities",
        "clerk",
        _facility_fields,
        (Community, Facility),
        _facilities_stored,
        _facilities_unchanged,
    ),
    _record("bodies", "clerk", _bodies_fields, (GovernanceBody, Term), _bodies_stored),
    _record("branches", "clerk", _branches_fields, (PartyBranch,), _branches_stored),
    _record("pairings", "clerk", _pairings_fields, (CoBuildingPairing,), _pairings_stored),
    _record("honours", "township", _honours_fields, (Honour,), _honours_stored, _honours_unchanged),
    # ---------- Monthly returns ----------
    Route(
        "returns:detail",
        "clerk",
        _return_url,
        _return_fields,
        (MonthlyReturn, ReturnValue, ReturnEvent),
        _return_stored,
    ),
    Route(
        "returns:transition",
        "township",
        lambda w: reverse(
            "returns:transition",
            kwargs={"code": "neighbour", "month": MONTH, "action": "send_back"},
        ),
        lambda w: {"send_back-reason": words(1000)},
        (MonthlyReturn, ReturnEvent),
        _transition_stored,
    ),
    Route(
        "returns:import",
        "clerk",
        lambda w: reverse("returns:import"),
        lambda w: {
            "file": upload(st.sampled_from([w.workbook]) | st.binary(max_size=200)),
        },
        (ReturnImport, MonthlyReturn),
        _import_stored,
    ),
    Route(
        "returns:import_preview",
        "clerk",
        lambda w: reverse("returns:import_preview", kwargs={"pk": w.return_import.pk}),
        lambda w: {},
        (ReturnImport, MonthlyReturn, ReturnValue),
        _preview_stored,
    ),
    # ---------- Rating rounds: staff ----------
    Route(
        "ratings:staff_round_advance",
        "county",
        lambda w: reverse("ratings:staff_round_advance", kwargs={"code": w.r_planned.code}),
        lambda w: {
            "to": choice(RoundStatus.values),
            "confirm": st.just("1"),
            "note": words(500, 0),
        },
        (Round, RoundEvent),
        _advance_stored,
        # Without `confirm` the first post only asks for confirmation.
        quiet=lambda data: not last(data, "confirm"),
    ),
    Route(
        "ratings:staff_judge_assign",
        "county",
        lambda w: reverse("ratings:staff_judge_assign", kwargs={"code": w.r_review.code}),
        lambda w: {
            "username": choice(["judge", "judge_c", "clerk", " judge_c "]),
            "is_chair": tick(),
        },
        (JudgeAssignment,),
        _assign_stored,
    ),
    Route(
        "ratings:staff_conflict_declare",
        "county",
        lambda w: reverse("ratings:staff_conflict_declare", kwargs={"code": w.r_review.code}),
        lambda w: {
            "judge": choice([w.users["judge"].pk, w.users["judge_b"].pk]),
            "community": choice(["home", "neighbour", "far"]),
            "reason": words(200),
        },
        (ConflictOfInterest,),
        _conflict_stored,
    ),
    Route(
        "ratings:staff_round_confirm",
        "county",
        lambda w: reverse("ratings:staff_round_confirm", kwargs={"code": w.r_notice_done.code}),
        lambda w: {"note": words(500, 0), "objections_considered": tick()},
        (Round, RoundEvent, Rating),
        _confirm_stored,
    ),
    Route(
        "ratings:staff_rating_revoke",
        "county",
        lambda w: reverse(
            "ratings:staff_rating_revoke", kwargs={"code": w.r_final.code, "community": "home"}
        ),
        lambda w: {"reason": words(2000)},
        (Rating,),
        _revoke_stored,
    ),
    Route(
        "ratings:declaration_edit",
        "clerk",
        lambda w: reverse(
            "ratings:declaration_edit", kwargs={"code": w.r_open.code, "community": "home"}
        ),
        lambda w: {
            "action": choice(["save", "submit", "withdraw"]),
            "target_tier": choice(Tier.values),
            "target_stars": choice(["", 1, 2, 3, 4, 5]),
            "self_assessment": words(500, 0),
        },
        (Declaration,),
        _declaration_stored,
    ),
    # ---------- Judging ----------
    Route(
        "ratings:judging_sheet",
        "judge",
        lambda w: reverse(
            "ratings:judging_sheet", kwargs={"code": w.r_review.code, "community": "home"}
        ),
        lambda w: {
            "abstain": tick(),
            **{f"points_{c.pk}": amount(0, c.max_points) for c in w.criteria},
        },
        (ScoreSheet, Score),
        _sheet_stored,
    ),
    Route(
        "ratings:judging_close",
        "judge",
        lambda w: reverse("ratings:judging_close", kwargs={"code": w.r_review.code}),
        lambda w: {"confirm": st.just("1"), "note": words(500, 0)},
        (Round, RoundEvent),
        _close_stored,
        # Without `confirm` the first post only asks for confirmation.
        quiet=lambda data: not last(data, "confirm"),
    ),
    # ---------- Evidence ----------
    Route(
        "ratings:evidence_add",
        "clerk",
        lambda w: reverse("ratings:evidence_add", kwargs={"declaration": w.draft.pk}),
        lambda w: {
            "file": upload(st.sampled_from([PDF]) | st.binary(max_size=200), ["a.pdf", "b.jpg"]),
            "caption": words(200, 0),
        },
        (Evidence,),
        _evidence_stored,
    ),
    Route(
        "ratings:evidence_remove",
        "clerk",
        lambda w: reverse("ratings:evidence_remove", kwargs={"pk": w.evidence.pk}),
        lambda w: {},
        (Evidence,),
        _evidence_removed,
    ),
    # ---------- Public notice ----------
    Route(
        "ratings:objection_submit",
        None,
        lambda w: reverse("ratings:objection_submit", kwargs={"code": w.r_notice.code}),
        lambda w: {
            "community": choice(["", w.home.pk, w.far.pk]),
            "text": words(2000, 5),
            "name": words(50, 0),
            "contact": words(100, 0),
            "website": st.just(""),
        },
        (Objection,),
        _objection_stored,
        quiet=_objection_bot,
    ),
    Route(
        "ratings:objection_moderate",
        "county",
        lambda w: reverse(
            "ratings:objection_moderate", kwargs={"code": w.r_notice.code, "pk": w.objection.pk}
        ),
        lambda w: {
            "status": choice([Objection.Status.PUBLISHED, Objection.Status.HIDDEN]),
            "handling": words(500, 0),
            "public_reply": words(500, 0),
        },
        (Objection,),
        _moderate_stored,
    ),
    # ---------- A person's own pages and the outbox (issue 15) ----------
    Route(
        "notifications:read_all",
        "clerk",
        lambda w: reverse("notifications:read_all"),
        lambda w: {},
        (Message,),
        _all_read,
    ),
    Route(
        "notifications:account",
        "clerk",
        lambda w: reverse("notifications:account"),
        _account_fields,
        (Profile, User),
        _account_stored,
    ),
    Route(
        "notifications:preferences",
        "clerk",
        lambda w: reverse("notifications:preferences"),
        _preference_fields,
        (Preference,),
        _preferences_stored,
    ),
    Route(
        "notifications:password_change",
        "clerk",
        lambda w: reverse("notifications:password_change"),
        note="Django's view and form; a change renews the session's hash, which the examples' "
        "rollback would not: tests/notifications/test_accounts.py posts it",
    ),
    Route(
        "password_reset",
        None,
        lambda w: reverse("password_reset"),
        note="answers every address alike, an account's or not (no account leak): a form "
        "whose success stores nothing for an unknown address; tests/notifications/"
        "test_password_reset.py posts it",
    ),
    Route(
        "password_reset_confirm",
        None,
        lambda w: reverse("password_reset_confirm", kwargs={"uidb64": "MQ", "token": "x"}),
        note="Django's view: a post to a link that is not valid shows no form and stores "
        "nothing; tests/notifications/test_password_reset.py sets a password through it",
    ),
    Route(
        "portal:outbox_retry",
        "county",
        lambda w: reverse("portal:outbox_retry", kwargs={"pk": w.delivery.pk}),
        lambda w: {},
        (Delivery,),
        _retried,
    ),
    # ---------- The county's announcements ----------
    Route(
        "portal:manage_announcement_new",
        "county",
        lambda w: reverse("portal:manage_announcement_new"),
        _announcement_fields,
        (Announcement,),
        _announcement_added,
    ),
    Route(
        "portal:manage_announcement_edit",
        "county",
        lambda w: reverse("portal:manage_announcement_edit", kwargs={"pk": w.announcement.pk}),
        _announcement_edit_fields,
        (Announcement,),
        _announcement_edited,
    ),
    Route(
        "portal:manage_announcement_withdraw",
        "county",
        lambda w: reverse("portal:manage_announcement_withdraw", kwargs={"pk": w.announcement.pk}),
        lambda w: {"confirm": tick()},
        (Announcement,),
        _announcement_withdrawn,
    ),
    # ---------- The reports the county publishes ----------
    Route(
        "reports:report_publish",
        "county",
        lambda w: reverse("reports:report_publish", kwargs={"kind": "circular"}),
        _publish_fields,
        (Publication,),
        _published,
    ),
    # ---------- Community admission ----------
    Route(
        "services:admission_new",
        "county",
        lambda w: reverse("services:admission_new"),
        _admission_fields,
        (AdmissionRequest, AdmissionRequest.communities.through),
        _admission_new_stored,
    ),
    Route(
        "services:admission_edit",
        "county",
        lambda w: reverse("services:admission_edit", kwargs={"pk": w.admission.pk}),
        _admission_fields,
        (AdmissionRequest, AdmissionRequest.communities.through),
        _admission_edit_stored,
    ),
    Route(
        "services:admission_approve",
        "county",
        lambda w: reverse("services:admission_approve", kwargs={"pk": w.admission.pk}),
        lambda w: {"approve-reason": words(2000, 0)},
        (AdmissionRequest,),
        _decided("approve"),
    ),
    Route(
        "services:admission_refuse",
        "county",
        lambda w: reverse("services:admission_refuse", kwargs={"pk": w.admission.pk}),
        lambda w: {"refuse-reason": words(2000)},
        (AdmissionRequest,),
        _decided("refuse"),
    ),
    # ---------- Re-employment ----------
    *_employment("training", TrainingClass, _training_fields, _training_check),
    *_employment("processing", ProcessingProject, _processing_fields, _processing_check),
    *_employment("outcome", ReemploymentOutcome, _outcome_fields, _outcome_check),
    # ---------- Paired assistance ----------
    Route(
        "services:household_add",
        "clerk",
        lambda w: reverse("services:household_add", kwargs={"code": "home"}),
        _household_fields,
        (AssistedHousehold,),
        _household_added,
    ),
    Route(
        "services:household_edit",
        "clerk",
        lambda w: reverse("services:household_edit", kwargs={"code": "home", "pk": w.household.pk}),
        _household_fields,
        (AssistedHousehold,),
        _household_edited,
    ),
    Route(
        "services:helper_add",
        "clerk",
        lambda w: reverse("services:helper_add", kwargs={"code": "home", "pk": w.household.pk}),
        lambda w: {
            "pair-co_building_unit": choice(["", w.unit.pk, w.other_unit.pk]),
            "pair-volunteer": choice(["", w.volunteer.pk]),
            "pair-started_on": day(datetime.date(2000, 1, 1)),
        },
        (HelperPairing,),
        _helper_stored,
    ),
    Route(
        "services:helper_end",
        "clerk",
        lambda w: reverse(
            "services:helper_end",
            kwargs={"code": "home", "pk": w.household.pk, "pairing_pk": w.pairing.pk},
        ),
        lambda w: {f"end-{w.pairing.pk}-ended_on": day(w.pairing.started_on)},
        (HelperPairing,),
        _helper_ended,
    ),
    Route(
        "services:visit_add",
        "clerk",
        lambda w: reverse("services:visit_add", kwargs={"code": "home", "pk": w.household.pk}),
        lambda w: {
            "visited_on": day(datetime.date(2000, 1, 1)),
            "kind": choice(HelpKind.values),
            "by_volunteer": choice(["", w.volunteer.pk]),
            "hours": amount(0, 99),
            "note": words(200, 0),
        },
        (AssistanceVisit,),
        _visit_stored,
    ),
    # ---------- Volunteers and the time bank ----------
    Route(
        "services:volunteer_create",
        "clerk",
        lambda w: reverse("services:volunteer_create", kwargs={"code": "home"}),
        _volunteer_fields,
        (Volunteer,),
        _volunteer_added,
    ),
    Route(
        "services:volunteer_edit",
        "clerk",
        lambda w: reverse("services:volunteer_edit", kwargs={"code": "home", "pk": w.volunteer.pk}),
        _volunteer_fields,
        (Volunteer,),
        _volunteer_edited,
    ),
    Route(
        "services:volunteer_session",
        "clerk",
        lambda w: reverse(
            "services:volunteer_session", kwargs={"code": "home", "pk": w.volunteer.pk}
        ),
        _session_fields,
        (ServiceRecord, TimeBankEntry),
        _session_stored,
    ),
    Route(
        "services:volunteer_sessions_bulk",
        "clerk",
        lambda w: reverse("services:volunteer_sessions_bulk", kwargs={"code": "home"}),
        _slips_fields,
        (ServiceRecord, TimeBankEntry),
        _slips_stored,
    ),
    Route(
        "services:volunteer_draw",
        "clerk",
        lambda w: reverse("services:volunteer_draw", kwargs={"code": "home", "pk": w.volunteer.pk}),
        lambda w: {
            "on": day(w.volunteer.registered_on),
            "hours": amount("0.01", 20),
            "note": words(200),
        },
        (TimeBankEntry,),
        _draw_stored,
    ),
    Route(
        "services:volunteer_points",
        "clerk",
        lambda w: reverse("services:volunteer_points", kwargs={"code": "home", "pk": w.member.pk}),
        lambda w: {
            "on": day(datetime.date(2000, 1, 1)),
            "year": whole(1949, 2100) | st.just(""),
            "activity": words(200),
            "points": whole(1, 10_000),
        },
        (ContributionPoints,),
        _points_stored,
    ),
]
FORMS = [route for route in ROUTES if route.fields is not None]
# The forms whose empty post is no refusal (it stores, or only asks), and why that is right.
EMPTY_POST_STORES = {
    "returns:detail": "a draft may hold no figures yet",
    "returns:import_preview": "a button: confirms the import",
    "ratings:judging_close": "a button: its first post only asks to confirm closing scoring",
    "ratings:evidence_remove": "a button: removes the file",
    "services:admission_approve": "the note on an approval is optional",
    "notifications:read_all": "a button: marks every message read",
    "portal:outbox_retry": "a button: sends a failed message again",
}

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


# ---------- The world the forms are posted in ----------


def _filled_workbook(community, households: int) -> bytes:
    workbook = openpyxl.load_workbook(
        io.BytesIO(template_workbook(communities=[community], period=PERIOD))
    )
    sheet = workbook["returns"]
    header = [cell.value for cell in sheet[1]]
    sheet.cell(3, header.index("households") + 1, households)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def world(tree, users):
    """Something for every form to act on: returns, rounds at each stage, evidence, an
    announcement, an objection, an admission request, employment records, a household,
    volunteers."""
    w = SimpleNamespace(**tree, users=dict(users))
    w.users["judge_b"] = make_user(Role.JUDGE, username="judge_b")
    make_user(Role.JUDGE, username="judge_c")
    neighbour_clerk = make_user(Role.CLERK, community=tree["neighbour"])
    w.community_pks = [c.pk for c in (tree["home"], tree["neighbour"], tree["far"])]

    # Monthly returns: two indicators; the neighbour's return submitted for review.
    households = make_indicator(
        code="households", name="户数", name_en="Households", value_type="integer"
    )
    make_indicator(
        code="funds",
        name="共建资金",
        name_en="Funds",
        value_type=Indicator.ValueType.DECIMAL,
        maximum=Decimal(1_000_000),
        required=False,
    )
    w.submitted_return = returns_domain.return_save(
        community=tree["neighbour"],
        period=PERIOD,
        values={households.pk: Decimal(900)},
        version=0,
        by=neighbour_clerk,
        submit=True,
    )
    w.workbook = _filled_workbook(tree["home"], 1200)
    w.return_import = return_import_create(
        upload=SimpleUploadedFile("returns.xlsx", w.workbook), by=users["clerk"]
    )
    assert w.return_import.status == ReturnImport.Status.PREVIEWED, w.return_import.errors

    # Rating rounds, one at each stage a form acts on.
    w.r_planned = make_round(code="r-planned")
    w.r_open = make_round(code="r-open", status=RoundStatus.DECLARATIONS_OPEN)
    w.draft = make_declaration(
        round=w.r_open, community=tree["home"], status=Declaration.Status.DRAFT
    )
    w.evidence = uploads.evidence_add(
        declaration=w.draft,
        upload=SimpleUploadedFile("plan.pdf", PDF),
        caption="方案",
        by=users["clerk"],
    )
    # The county's announcement of the open round, published ten days ago, with a file.
    w.announcement = announcements.announcement_create(
        title="关于开展社区评定申报的通知",
        body="请各社区按时申报。\n\n详见附件。",
        published_on=TODAY - 10 * DAY,
        upload=SimpleUploadedFile("通知.pdf", PDF),
        round=w.r_open,
        by=users["county"],
        today=TODAY - 10 * DAY,
    )
    w.r_review = make_round(code="r-review", status=RoundStatus.REVIEW)
    w.criteria = [
        make_criterion(round=w.r_review, code="org", name="组织建设", max_points=Decimal(20)),
        make_criterion(round=w.r_review, code="svc", name="服务 100%", max_points=Decimal(30)),
    ]
    make_criterion(round=w.r_review, code="fac", source=Criterion.Source.FACILITIES)
    w.judged = make_declaration(round=w.r_review, community=tree["home"])
    make_assignment(round=w.r_review, judge=users["judge"], is_chair=True)
    make_assignment(round=w.r_review, judge=w.users["judge_b"])
    w.r_notice = make_round(
        code="r-notice",
        status=RoundStatus.NOTICE,
        notice_starts_on=TODAY - DAY,
        notice_ends_on=TODAY + 5 * DAY,
    )
    make_declaration(round=w.r_notice, community=tree["home"])
    make_declaration(round=w.r_notice, community=tree["far"])
    w.objection = objection_submit(
        round=w.r_notice, community=None, text="公示名单有误，请核实。", sender="192.0.2.9"
    )
    w.r_notice_done = make_round(
        code="r-notice-done",
        status=RoundStatus.NOTICE,
        notice_starts_on=TODAY - 10 * DAY,
        notice_ends_on=TODAY - DAY,
    )
    Objection.objects.create(round=w.r_notice_done, text="请核实得分。", sender_hash="0" * 64)
    w.r_final = make_round(code="r-final", status=RoundStatus.FINAL)
    w.rating = Rating.objects.create(
        round=w.r_final,
        community=tree["home"],
        tier=Tier.NORMATIVE,
        valid_until=TODAY + 365 * DAY,
    )

    # Services.
    w.admission = admission.admission_submit(
        department="县卫健局",
        task="健康档案入户登记",
        funds_follow=False,
        staff_follow=False,
        authority_follow=False,
        funds_yuan=None,
        communities=[tree["home"]],
        by=users["county"],
    )
    w.existing = {
        TrainingClass: TrainingClass.objects.create(
            community=tree["home"],
            name="家政培训",
            starts_on=datetime.date(2026, 3, 1),
            ends_on=datetime.date(2026, 3, 5),
        ),
        ProcessingProject: ProcessingProject.objects.create(
            community=tree["home"], name="来料加工", year=2025
        ),
        ReemploymentOutcome: ReemploymentOutcome.objects.create(
            community=tree["home"], month=datetime.date(2025, 1, 1), reemployed=3
        ),
    }
    w.household = make_household(community=tree["home"])
    w.unit = make_unit()
    w.other_unit = make_unit()
    w.record_pairing = make_pairing(unit=w.unit, community=tree["home"])
    # The community's record: its Party organisation with a term and a branch.
    w.party = make_body(community=tree["home"], kind=GovernanceBody.Kind.PARTY, name="党委")
    w.term = make_term(body=w.party, number=1)
    w.branch = make_branch(organisation=w.party, name="第一支部")
    w.pairing = helper_pair(
        household=w.household, co_building_unit=w.unit, started_on=datetime.date(2025, 1, 1)
    )
    w.volunteer = make_volunteer(community=tree["home"], registered_on=datetime.date(2024, 1, 5))
    w.member = make_volunteer(
        community=tree["home"],
        kind=Volunteer.Kind.PARTY_MEMBER,
        registered_on=datetime.date(2024, 1, 5),
    )
    # An unread message of the clerk's, and an e-mail that failed after its last try.
    Message.objects.create(
        recipient=users["clerk"], kind=Kind.RETURN_SENT_BACK, subject="月报被退回", body="请修改。"
    )
    w.delivery = Delivery.objects.create(
        kind=Kind.RETURN_SENT_BACK,
        to="clerk@example.org",
        subject="月报被退回",
        body="请修改。",
        status=DeliveryStatus.FAILED,
        attempts=8,
        next_attempt_at=timezone.now(),
    )
    w.service = service_record(
        volunteer=w.volunteer,
        served_on=datetime.date(2025, 5, 1),
        hours=Decimal(20),
        activity="陪老人就医",
        by=users["clerk"],
    )
    return w


# ---------- The community pickers at scale ----------

CROWD = SELECT_MAX + 1


@pytest.fixture
def crowd(world):
    """SELECT_MAX + 1 more communities, each declared in the notice round: every community
    picker becomes a text box for a code or a name."""
    made = [
        make_community(
            township=world.north if n % 2 else world.south,
            code=f"c-{n:03d}",
            name=f"新社区{n:03d}",
            name_en=f"New community {n:03d}",
        )
        for n in range(CROWD)
    ]
    for community in made:
        make_declaration(round=world.r_notice, community=community)
    world.crowd = made
    return made


def _named(community, typed: str) -> bool:
    """Whether `typed` names the community as the text boxes read it: its code, else its
    name, else a part of its code or names."""
    typed = typed.strip().casefold()
    names = [community.code, community.name, community.name_en]
    return typed == community.code or any(typed in name.casefold() for name in names)


def _picked(world):
    codes = [c.code for c in world.crowd[:3]] + ["home", "far"]
    names = [c.name for c in world.crowd[3:5]] + [world.crowd[5].name_en, "新社区00"]
    return st.sampled_from(codes + names)


def _conflict_at_scale_stored(world, data):
    conflict = ConflictOfInterest.objects.get(round=world.r_review)
    assert _named(conflict.community, last(data, "community"))
    assert (conflict.judge_id, conflict.reason) == (int(last(data, "judge")), text(data, "reason"))


def _objection_at_scale_stored(world, data):
    objection = Objection.objects.exclude(pk=world.objection.pk).get(round=world.r_notice)
    typed = last(data, "community").strip()
    if typed:
        assert _named(objection.community, typed)
    else:
        assert objection.community is None
    assert objection.text == text(data, "text")


def _admission_at_scale_stored(world, data):
    created = AdmissionRequest.objects.exclude(pk=world.admission.pk).get()
    chosen = set(created.communities.values_list("pk", flat=True))
    active = admission.active_communities()
    if checked(data, "all_communities"):
        expected = set(active.values_list("pk", flat=True))
    else:
        townships = data.get("townships", [])
        townships = townships if isinstance(townships, list) else [townships]
        codes = split_codes(last(data, "community_codes"))
        expected = set(
            active.filter(Q(township__in=townships) | Q(code__in=codes)).values_list(
                "pk", flat=True
            )
        )
    assert chosen == expected
    assert (created.department, created.task) == (text(data, "department"), text(data, "task"))


AT_SCALE = [
    Route(
        "ratings:staff_conflict_declare",
        "county",
        lambda w: reverse("ratings:staff_conflict_declare", kwargs={"code": w.r_review.code}),
        lambda w: {
            "judge": choice([w.users["judge"].pk, w.users["judge_b"].pk]),
            "community": _picked(w),
            "reason": words(200),
        },
        (ConflictOfInterest,),
        _conflict_at_scale_stored,
    ),
    Route(
        "ratings:objection_submit",
        None,
        lambda w: reverse("ratings:objection_submit", kwargs={"code": w.r_notice.code}),
        lambda w: {
            "community": _picked(w) | st.just(""),
            "text": words(2000, 5),
            "name": words(50, 0),
            "contact": words(100, 0),
            "website": st.just(""),
        },
        (Objection,),
        _objection_at_scale_stored,
        quiet=_objection_bot,
    ),
    Route(
        "services:admission_new",
        "county",
        lambda w: reverse("services:admission_new"),
        lambda w: {
            "department": words(100),
            "task": words(300),
            "received_on": day(datetime.date(2020, 1, 1)),
            "funds_follow": tick(),
            "funds_yuan": amount(0, 10**10 - 1) | st.just(""),
            "all_communities": tick(),
            "townships": st.lists(choice([w.north.pk, w.south.pk]), max_size=2),
            "community_codes": st.lists(
                st.sampled_from([c.code for c in w.crowd[:4]] + ["home"]), max_size=4
            ).map(" 、".join),
        },
        (AdmissionRequest, AdmissionRequest.communities.through),
        _admission_at_scale_stored,
    ),
]


# ---------- What every answer must be ----------

REFUSED = {200, 302, 400, 403, 404, 409, 429}


def _row_counts() -> list[int]:
    """The number of rows of every table of the portal's apps, in one query."""
    tables = sorted(
        {
            model._meta.db_table
            for app in PORTAL_APPS
            for model in apps.get_app_config(app).get_models(include_auto_created=True)
        }
    )
    quote = connection.ops.quote_name
    # The table names come from the models, quoted; nothing from a request.
    counts = ", ".join(f"(SELECT COUNT(*) FROM {quote(table)})" for table in tables)  # noqa: S608
    sql = f"SELECT {counts}"
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return list(cursor.fetchone())


def _snapshot(tables) -> dict:
    return {model: list(model.objects.order_by("pk").values()) for model in tables}


def _found_in(value, depth=0):
    """The forms and formsets in a context value: itself, or inside lists and dicts."""
    if isinstance(value, forms.BaseForm | BaseFormSet):
        yield value
    elif depth < 2 and isinstance(value, list | tuple):
        for item in value:
            yield from _found_in(item, depth + 1)
    elif depth < 2 and isinstance(value, dict):
        for item in value.values():
            yield from _found_in(item, depth + 1)


def _explanation(response) -> list[str]:
    """What the page says is wrong: form errors, an error summary, a refusal, messages."""
    said = []
    for context in response.context or []:
        for name, value in context.flatten().items():
            if name in ("refusal", "error_summary") and value:
                said.append(str(value))
            for form in _found_in(value):
                if not form.is_bound:
                    continue
                if isinstance(form, BaseFormSet):
                    said += [str(e) for e in form.non_form_errors()]
                    said += [str(e) for errors in form.errors for e in errors.values()]
                else:
                    said += [str(e) for e in form.errors.values()]
    said += [
        str(message)
        for message in get_messages(response.wsgi_request)
        if message.level >= constants.WARNING
    ]
    return said


def _problem(response) -> str:
    if response.exc_info is None:
        return ""
    return "".join(traceback.format_exception(*response.exc_info))


def _post(client, url, data):
    response = client.post(url, data)
    if response.status_code >= 500:
        pytest.fail(f"{response.status_code} for {data!r}\n{_problem(response)}")
    return response


def _client(world, route) -> Client:
    """A client as the route's user, in English, answering a view's exception with a 500."""
    client = Client(raise_request_exception=False)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if route.user:
        client.force_login(world.users[route.user])
    return client


def _fresh(client) -> Client:
    """The client without what an earlier example left in its cookies (messages): only the
    session (rolled back with the example) and the language stay."""
    for name in list(client.cookies):
        if name not in (settings.SESSION_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME):
            del client.cookies[name]
    return client


def _check_answer(world, route, client, data, response, counts, before):
    stored = _row_counts() != counts or _snapshot(route.tables) != before
    if route.signed_in:
        stored = "_auth_user_id" in client.session
    if stored:
        assert response.status_code == 302, (response.status_code, data)
        if route.stored is not None:
            route.stored(world, data)
        return "stored"
    assert response.status_code in REFUSED, (response.status_code, data)
    if response.status_code in (403, 404, 429):
        return "refused"  # the status is the answer; its page says it
    if route.quiet is not None and route.quiet(data):
        return "refused"
    assert _explanation(response), (
        f"refused without saying why: {response.status_code} for {data!r}"
    )
    return "refused"


# ---------- The tests ----------


def _routes_accepting_post():
    """(name, view) of every route outside the admin whose view may answer a POST."""
    found = []

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and "POST" in _methods(pattern.callback):
                found.append((f"{namespace}{pattern.name}", pattern.callback))

    walk(get_resolver().url_patterns, "")
    return found


ANY = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _methods(view) -> frozenset:
    """The methods a view answers: those its require_http_methods decorators allow (a
    class-based view: those it has handlers for); ANY without a restriction."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return frozenset(m.upper() for m in view_class.http_method_names if hasattr(view_class, m))
    allowed = ANY
    while view is not None:
        code = getattr(view, "__code__", None)
        if code is not None and "request_method_list" in code.co_freevars:
            cell = view.__closure__[code.co_freevars.index("request_method_list")]
            allowed = allowed & frozenset(cell.cell_contents)
        view = getattr(view, "__wrapped__", None)
    return allowed


def test_every_post_route_is_listed():
    accepting = {name for name, _view in _routes_accepting_post()}
    listed = [route.name for route in ROUTES]

    assert sorted(accepting - set(listed)) == [], "a new route takes a POST: add it to ROUTES"
    assert sorted(set(listed) - accepting) == [], "ROUTES names a route that takes no POST"
    assert len(listed) == len(set(listed))
    assert all(route.note for route in ROUTES if route.fields is None)


def test_method_introspection_sees_the_decorators():
    views = dict(_routes_accepting_post())

    assert "communities:directory" not in views  # @require_safe
    assert _methods(views["ratings:judging_close"]) == {"POST"}  # @require_POST
    assert _methods(views["returns:detail"]) == {"GET", "HEAD", "POST"}
    assert _methods(views["login"]) >= {"GET", "POST"}


def _fuzz(world, route):
    """Post generated input to the route's form, each example rolled back; the outcomes."""
    url = route.url(world)
    route_fields = route.fields(world)
    outcomes = set()
    # Signed in once: each example's changes to the session are rolled back with it. Signing
    # in is what the login form does, so it gets a new client each time.
    signed_in = None if route.signed_in else _client(world, route)

    @hypothesis_settings(hypothesis_settings.get_profile("security"))
    @given(data=payloads(route_fields))
    def post(data):
        with transaction.atomic():
            client = _fresh(signed_in) if signed_in else _client(world, route)
            counts, before = _row_counts(), _snapshot(route.tables)
            response = _post(client, url, data)
            outcomes.add(_check_answer(world, route, client, data, response, counts, before))
            transaction.set_rollback(True)

    post()
    return outcomes


@pytest.mark.parametrize("route", FORMS, ids=lambda route: route.name)
def test_form_survives_generated_input(world, route):
    outcomes = _fuzz(world, route)

    # Some generated posts were stored, so the round trip was checked too.
    assert "stored" in outcomes, outcomes


@pytest.mark.parametrize("route", AT_SCALE, ids=lambda route: route.name)
def test_community_pickers_at_scale_survive_generated_input(world, crowd, route):
    """Beyond SELECT_MAX communities the pickers become text boxes whose text reaches a
    query: the same generated input there."""
    outcomes = _fuzz(world, route)

    assert "stored" in outcomes, outcomes


# Percent-encoded in a raw body: a NUL, bytes that are no UTF-8 at all, an encoded surrogate
# and an overlong NUL (invalid UTF-8 that naive decoders turn into a NUL).
RAW_VALUES = [b"%00", b"a%00b", b"%FF%FE%FD", b"%ED%A0%80", b"%C0%80"]


@pytest.mark.parametrize(
    ("route", "at_scale"),
    [(route, False) for route in ROUTES] + [(route, True) for route in AT_SCALE],
    ids=lambda value: value.name if isinstance(value, Route) else ("at-scale" if value else ""),
)
def test_nul_bytes_and_broken_utf8_are_refused(world, request, route, at_scale):
    """Every field of every form at once, sent as a raw urlencoded body (not through the
    test client's encoder): nothing answers 500; a NUL anywhere is refused, nothing stored;
    bytes that are no UTF-8 arrive as U+FFFD and are judged like any other text."""
    if at_scale:
        request.getfixturevalue("crowd")
    url = route.url(world)
    form_names = list(route.fields(world)) if route.fields is not None else []
    names = form_names or ["x"]
    for raw in RAW_VALUES:
        body = b"&".join(name.encode() + b"=" + raw for name in names)
        # As Django reads it: bytes that are no UTF-8 become U+FFFD.
        data = {name: unquote_to_bytes(raw).decode(errors="replace") for name in names}
        with transaction.atomic():
            client = _client(world, route)
            counts, before = _row_counts(), _snapshot(route.tables)
            response = client.post(url, body, content_type="application/x-www-form-urlencoded")
            if response.status_code >= 500:
                pytest.fail(f"{response.status_code} for {raw!r}\n{_problem(response)}")
            if route.fields is None:
                assert response.status_code in REFUSED
            else:
                outcome = _check_answer(world, route, client, data, response, counts, before)
                if form_names and "\x00" in data[names[0]]:
                    assert outcome == "refused", raw
            transaction.set_rollback(True)


# ---------- The filters: forms that send a GET ----------

# The pages with a filter (or another form sending a GET), as the user who reads them. Every
# field of every GET form on the page is sent, plus the parameters views read directly.
FILTER_PAGES = [
    ("communities:record_changes", "clerk", {"code": "home"}),
    ("communities:directory", None, {}),
    ("communities:workspace", "county", {}),
    ("communities:terms_due", "county", {}),
    ("communities:space_standard", "county", {}),
    ("returns:list", "county", {}),
    ("returns:list", "clerk", {}),
    ("returns:import", "county", {}),
    ("returns:completeness", "county", {}),
    ("returns:aggregates", "county", {}),
    ("portal:dashboard", "county", {}),
    ("portal:announcements", None, {}),
    ("portal:manage_announcements", "county", {}),
    ("ratings:round_list", None, {}),
    ("ratings:round_results", None, {"code": "r-final"}),
    ("ratings:round_notice", None, {"code": "r-notice"}),
    ("ratings:objection_list", "county", {"code": "r-notice"}),
    ("services:volunteer_list", "clerk", {"code": "home"}),
    ("services:volunteer_sessions_bulk", "clerk", {"code": "home"}),
    ("services:household_list", "clerk", {"code": "home"}),
    ("services:visit_list", "clerk", {"code": "home"}),
    ("services:employment", "clerk", {"code": "home"}),
    ("services:admission_list", "county", {}),
    ("services:commendations", None, {}),
    ("services:reports", "county", {}),
]
READ_DIRECTLY = ["page", "township", "community", "status", "q", "year", "month", "rows", "kind"]
GET_VALUES = ["\x00", "a\x00b", "9" * 400, "-1"]


class _GetForms(HTMLParser):
    """The action and field names of every form of a page that sends a GET."""

    def __init__(self):
        super().__init__()
        self.forms, self._current = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            is_get = (attrs.get("method") or "get").lower() == "get"
            self._current = {"action": attrs.get("action") or "", "names": []} if is_get else None
            if is_get:
                self.forms.append(self._current)
        elif tag in ("input", "select", "textarea") and self._current and attrs.get("name"):
            self._current["names"].append(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def _report_pages():
    from services.report_views import REPORTS

    return [(f"services:report_{slug}", "county", {}) for slug in REPORTS]


@pytest.mark.parametrize("at_scale", [False, True], ids=["few", "at-scale"])
def test_filters_survive_nul_bytes_and_nonsense(world, request, at_scale):
    if at_scale:
        request.getfixturevalue("crowd")
    sent = 0
    for name, user, kwargs in FILTER_PAGES + _report_pages():
        client = _client(world, Route(name, user, None))
        page = reverse(name, kwargs=kwargs)
        first = client.get(page)
        assert first.status_code == 200, (page, first.status_code)
        parser = _GetForms()
        parser.feed(first.content.decode())
        targets = {page: set(READ_DIRECTLY)}
        for form in parser.forms:
            action = urljoin(page, form["action"]).split("?")[0] if form["action"] else page
            targets.setdefault(action, set(READ_DIRECTLY)).update(form["names"])
        for url, names in targets.items():
            for value in GET_VALUES:
                response = client.get(url, dict.fromkeys(sorted(names), value))
                sent += 1
                if response.status_code >= 500:
                    pytest.fail(f"{response.status_code} for {url} {value!r}\n{_problem(response)}")
                assert response.status_code in REFUSED, (url, value, response.status_code)
            response = client.get(f"{url}?{'&'.join(f'{n}=%FF%00' for n in sorted(names))}")
            assert response.status_code < 500, (url, _problem(response))
    assert sent > 200


@pytest.mark.parametrize(
    "route",
    [route for route in FORMS if route.name not in EMPTY_POST_STORES],
    ids=lambda route: route.name,
)
def test_empty_post_is_refused_with_the_reason(world, route):
    """A post without any field (a form bound to nothing would show no error at all)."""
    client = _client(world, route)
    counts, before = _row_counts(), _snapshot(route.tables)

    response = _post(client, route.url(world), {})

    assert _check_answer(world, route, client, {}, response, counts, before) == "refused"
    assert response.status_code in (403, 404, 429) or _explanation(response)


# ---------- Invisible and text-direction characters ----------

INVISIBLE = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: "王\u202e小明" shows as "王明小"
INVISIBLE_MESSAGE = (
    "Remove the invisible or text-direction character U+202E (character {position}): it "
    "hides or reverses the text around it."
)
# The text boxes of every form (what a person types and someone else reads), declared by hand
# like the routes; a form left out must be named in WITHOUT_TEXT. Every form class of the
# portal derives from PortalForm (tests/test_forms.py), which checks all its text fields.
TEXT_FIELDS = {
    "notifications:account": ["phone"],
    "communities:edit_basic": ["address", "office_phone", "contact_person", "description"],
    "communities:edit_facilities": ["facility-party_room-note", "facility-police_room-note"],
    "communities:edit_bodies": ["body-party-name", "body-residents_committee-name"],
    "communities:edit_branches": ["branches-0-name", "branches-1-name"],
    "communities:edit_pairings": ["pairings-0-contribution", "pairings-1-contribution"],
    "communities:edit_honours": ["honours-0-title", "honours-0-awarding_body"],
    "returns:detail": ["c_households", "c_funds"],
    "returns:transition": ["send_back-reason"],
    "ratings:staff_round_advance": ["note"],
    "ratings:staff_judge_assign": ["username"],
    "ratings:staff_conflict_declare": ["reason"],
    "ratings:staff_round_confirm": ["note"],
    "ratings:staff_rating_revoke": ["reason"],
    "ratings:declaration_edit": ["self_assessment"],
    "ratings:evidence_add": ["caption"],
    "ratings:objection_submit": ["text", "name", "contact"],
    "ratings:objection_moderate": ["handling", "public_reply"],
    "portal:manage_announcement_new": ["title", "body"],
    "reports:report_publish": ["number", "note"],
    "portal:manage_announcement_edit": ["title", "body"],
    "services:admission_new": ["department", "task"],
    "services:admission_edit": ["department", "task"],
    "services:admission_approve": ["approve-reason"],
    "services:admission_refuse": ["refuse-reason"],
    "services:training_add": ["name"],
    "services:training_edit": ["name"],
    "services:processing_add": ["name"],
    "services:processing_edit": ["name"],
    "services:household_add": ["household_name"],
    "services:household_edit": ["household_name"],
    "services:visit_add": ["note"],
    "services:volunteer_create": ["name"],
    "services:volunteer_edit": ["name"],
    "services:volunteer_session": ["activity"],
    "services:volunteer_sessions_bulk": ["slips-0-activity", "slips-1-activity"],
    "services:volunteer_draw": ["note"],
    "services:volunteer_points": ["activity"],
}
WITHOUT_TEXT = {
    "notifications:read_all": "a button",
    "notifications:preferences": "choices",
    "portal:outbox_retry": "a button",
    "login": "Django's log-in form: the user name is only looked up",
    "returns:import": "a file",
    "returns:import_preview": "a button",
    "ratings:judging_sheet": "points and a tick box",
    "ratings:judging_close": "a button",
    "ratings:evidence_remove": "a button",
    "portal:manage_announcement_withdraw": "a tick box",
    "services:outcome_add": "a month and a number",
    "services:outcome_edit": "a month and a number",
    "services:helper_add": "choices and a date",
    "services:helper_end": "a date",
}


def _inject(value: str) -> str:
    """The value with a right-to-left override after its first character."""
    return value[:1] + INVISIBLE + value[1:]


def test_every_form_is_in_the_text_fields_table():
    assert sorted(set(TEXT_FIELDS) | set(WITHOUT_TEXT)) == sorted(route.name for route in FORMS)
    assert set(TEXT_FIELDS).isdisjoint(WITHOUT_TEXT)


@pytest.mark.parametrize(
    "route", [route for route in FORMS if route.name in TEXT_FIELDS], ids=lambda r: r.name
)
def test_invisible_characters_are_refused_in_every_text_field(world, route):
    """Every text box of every form, given plausible text with a right-to-left override in
    it, refuses it with the message saying which character and where; nothing is stored.
    (Before: accepted in names and opinions, and shown reversed on the public results.)"""
    url = route.url(world)
    keys = TEXT_FIELDS[route.name]

    @hypothesis_settings(hypothesis_settings.get_profile("security"), max_examples=2)
    @given(data=st.fixed_dictionaries(route.fields(world)))
    def post(data):
        sent = {**data, **{key: _inject(data[key]) for key in keys}}
        if "slips-TOTAL_FORMS" in sent:
            sent["slips-TOTAL_FORMS"] = "2"  # both rows sent
        with transaction.atomic():
            client = _client(world, route)
            counts, before = _row_counts(), _snapshot(route.tables)
            response = _post(client, url, sent)
            assert response.status_code in (200, 400, 302), (response.status_code, sent)
            assert (_row_counts(), _snapshot(route.tables)) == (counts, before), sent
            # The form's errors; a view that answers with a redirect shows them as messages.
            said = [str(message) for message in get_messages(response.wsgi_request)]
            errors = dict.fromkeys(keys, said) if response.status_code == 302 else {}
            for context in response.context or []:
                for value in context.flatten().values():
                    for form in _found_in(value):
                        if form.is_bound and not isinstance(form, BaseFormSet):
                            for name, messages in form.errors.items():
                                errors[form.add_prefix(name)] = messages
                        elif form.is_bound:
                            for each in form.forms:
                                for name, messages in each.errors.items():
                                    errors[each.add_prefix(name)] = messages
            for key in keys:
                # Where the character is once the field has stripped the spaces around.
                position = sent[key].strip().index(INVISIBLE) + 1
                message = INVISIBLE_MESSAGE.format(position=position)
                assert message in errors.get(key, []), (key, errors)
            transaction.set_rollback(True)

    post()


# ---------- What the generated input found, pinned ----------


def test_return_saved_at_a_version_it_never_had_is_a_conflict(world):
    client = _client(world, Route("returns:detail", "clerk", None))

    response = _post(client, _return_url(world), {"version": "3", "v_households": "12"})

    assert response.status_code == 409
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "This page was out of date: nothing has been saved for this month yet. Your figures "
        "are still in the form below: check them, then save again."
    ]
    assert response.context["form"]["v_households"].value() == "12"
    assert response.context["form"]["version"].value() == "0"
    assert not MonthlyReturn.objects.filter(community=world.home, period=PERIOD).exists()


def test_points_for_year_zero_are_refused_not_moved_to_the_dates_year(world):
    client = _client(world, Route("services:volunteer_points", "clerk", None))
    url = reverse("services:volunteer_points", kwargs={"code": "home", "pk": world.member.pk})

    response = _post(
        client, url, {"on": "2026-03-01", "year": "0", "activity": "义务劳动", "points": "5"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "year": ["Ensure this value is greater than or equal to 1949."]
    }
    assert ContributionPoints.objects.count() == 0


def test_a_nul_is_no_tick_to_withdraw_an_announcement(world):
    """A tick box takes anything sent for a tick: a NUL withdrew the announcement."""
    client = _client(world, Route("portal:manage_announcement_withdraw", "county", None))
    url = reverse("portal:manage_announcement_withdraw", kwargs={"pk": world.announcement.pk})

    response = _post(client, url, {"confirm": "\x00"})

    assert response.status_code == 400
    assert response.context["form"].errors == {"confirm": ["Null characters are not allowed."]}
    world.announcement.refresh_from_db()
    assert world.announcement.withdrawn_on is None
