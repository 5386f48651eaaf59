"""Synthetic data at province scale, for `manage.py generate_scale_data` and the benchmark.

Townships, communities, monthly returns with their values, a confirmed rating round with
its ratings, and the services side (five networks, outlets, volunteers, service records with
their time-bank deposits), plus each community's residents' committee and its current term.
Everything is invented and says so: every township, community and round code starts with
`syn-`, names read 合成社区 00001, communities keep `figures_are_sample`, and every row with an
`is_sample` flag has it set.

Fast by construction: rows are written with `bulk_create` in batches, a chunk of communities
at a time, so memory stays flat. `bulk_create` sends no signals, so django-simple-history
writes no history rows for the synthetic data (nothing is switched off globally); and it
skips `full_clean()`, so the values are generated valid: limits, cross-field rules, status
timestamps and every check and unique constraint hold by construction (the tests check them).

Deterministic: community n draws from its own `random.Random` seeded with (seed, n), so
community 00001 is the same whether 12 or 10,000 are generated, and the chunk size changes
nothing. This module sits in the project package because it writes the models of every app.
"""

import datetime
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from chunan_community.months import add_months, month_end
from communities.loading import Loader, load_catalogue
from communities.models import (
    Community,
    GovernanceBody,
    Indicator,
    IndicatorRule,
    MonthlyReturn,
    ReturnEvent,
    ReturnStatus,
    ReturnValue,
    Term,
    Township,
)
from communities.returns.checks import closes_on, due_on
from operations.demo import ratings_2008 as chunan_2008
from ratings.models import Criterion, CutOff, Rating, Round, RoundStatus, Tier, rating_valid_until
from services.models import ServiceNetwork, ServiceOutlet, ServiceRecord, TimeBankEntry, Volunteer

PREFIX = "syn-"
GENERATOR_USERNAME = "syn-generator"
MAX_COMMUNITIES = 50_000  # a rating's rank in its tier is a small integer (at most 32,767)
MAX_MONTHS = 120
BATCH_SIZE = 5000
CHUNK = 1000
D = Decimal
CENT = D("0.01")

# Share of returns per status, by the age of the month (0: the latest month, still being
# reported; 1: the month before; 2: any older month). "missing": no return at all.
STATUS_SHARES = {
    0: {
        "missing": 8,
        ReturnStatus.DRAFT: 10,
        ReturnStatus.SUBMITTED: 22,
        ReturnStatus.RETURNED: 3,
        ReturnStatus.APPROVED: 25,
        ReturnStatus.ACCEPTED: 32,
    },
    1: {
        "missing": 4,
        ReturnStatus.DRAFT: 2,
        ReturnStatus.SUBMITTED: 4,
        ReturnStatus.RETURNED: 2,
        ReturnStatus.APPROVED: 8,
        ReturnStatus.ACCEPTED: 80,
    },
    2: {
        "missing": 2,
        ReturnStatus.DRAFT: 1,
        ReturnStatus.SUBMITTED: 1,
        ReturnStatus.RETURNED: 1,
        ReturnStatus.APPROVED: 1,
        ReturnStatus.ACCEPTED: 94,
    },
}
VERSIONS = {
    ReturnStatus.DRAFT: (1, 2),
    ReturnStatus.SUBMITTED: (1, 3),
    ReturnStatus.RETURNED: (2, 4),
    ReturnStatus.APPROVED: (2, 4),
    ReturnStatus.ACCEPTED: (3, 5),
}
# (tier, stars): share of the rated communities; one community in ten is not rated.
RATING_SHARES = {
    (Tier.NORMATIVE, None): 30,
    (Tier.STAR, 1): 6,
    (Tier.STAR, 2): 10,
    (Tier.STAR, 3): 20,
    (Tier.STAR, 4): 14,
    (Tier.STAR, 5): 10,
    (Tier.GARDEN, None): 10,
}
UNRATED_SHARE = 0.1
ACTIVITIES = ("助老服务", "环境清洁", "文明劝导", "助学辅导", "便民维修", "文体活动协助")
SERVICE_HOURS = tuple(D(h) for h in ("0.5", "1", "1.5", "2", "2.5", "3", "4"))
TOWNSHIP_KINDS = (
    [Township.Kind.TOWN] * 6 + [Township.Kind.TOWNSHIP] * 3 + [Township.Kind.SUBDISTRICT]
)
VOLUNTEER_KINDS = (
    [Volunteer.Kind.RESIDENT] * 6
    + [Volunteer.Kind.PARTY_MEMBER] * 3
    + [Volunteer.Kind.LEAGUE_MEMBER]
)
# Outlet kind → (name suffix, opening hours), as in operations.demo.services.
OUTLETS = {
    ServiceOutlet.Kind.CONVENIENCE: ("便民服务网点", "每日 7:00-20:00"),
    ServiceOutlet.Kind.HEALTH: ("卫生服务站", "每日 8:00-17:30"),
    ServiceOutlet.Kind.CULTURE: ("文化活动站", "每日 8:30-21:00"),
    ServiceOutlet.Kind.GYM: ("健身房", "每日 6:00-21:00"),
}
NOTE = "合成数据，仅用于性能测试，不是真实社区。"

# The models written, in the order of the summary line.
MODELS = (
    Township,
    Community,
    GovernanceBody,
    Term,
    ServiceNetwork,
    ServiceOutlet,
    Volunteer,
    ServiceRecord,
    TimeBankEntry,
    MonthlyReturn,
    ReturnValue,
    Round,
    Criterion,
    CutOff,
    Rating,
)


@dataclass(frozen=True)
class Options:
    communities: int
    months: int
    seed: int = 1
    # The latest month generated (its first day); by default the month before this one,
    # the month communities are reporting now.
    until: datetime.date | None = None
    per_township: int = 25
    chunk: int = CHUNK


@dataclass
class Result:
    created: Counter = field(default_factory=Counter)  # model → rows
    removed: Counter = field(default_factory=Counter)  # model → rows (with --replace)
    missing_returns: int = 0
    seconds: float = 0.0


def check_options(options: Options) -> None:
    """Raise CommandError, with a message for the user, when an option is out of range."""
    if not 1 <= options.communities <= MAX_COMMUNITIES:
        raise CommandError(
            _("--communities must be between 1 and %(max)d.") % {"max": MAX_COMMUNITIES}
        )
    if not 1 <= options.months <= MAX_MONTHS:
        raise CommandError(_("--months must be between 1 and %(max)d.") % {"max": MAX_MONTHS})
    if options.per_township < 1:
        raise CommandError(_("--per-township must be at least 1."))
    if options.chunk < 1:
        raise CommandError(_("--chunk must be at least 1."))
    if options.until and options.until.day != 1:
        raise CommandError(_("--until must be the first day of a month."))
    if options.until and options.until >= timezone.localdate().replace(day=1):
        # Service dates and submission times would lie in the future.
        raise CommandError(_("--until must be a month before the current one."))


def synthetic_querysets() -> dict:
    """The synthetic rows that identify a run: townships, communities and rounds."""
    return {
        Township: Township.objects.filter(code__startswith=PREFIX),
        Community: Community.objects.filter(code__startswith=PREFIX),
        Round: Round.objects.filter(code__startswith=PREFIX),
    }


def synthetic_counts() -> Counter:
    return Counter({model: qs.count() for model, qs in synthetic_querysets().items()})


def remove_synthetic() -> Counter:
    """Delete every synthetic row (codes starting with `syn-`) and what hangs off them.

    The big tables go with one DELETE each (`_raw_delete`): a plain `delete()` would load
    every row and, through django-simple-history's post_delete receiver, write one history
    row per value, which takes hours at 10,000 communities. Rounds, communities and
    townships then go through the ORM, so that Django's CASCADE and PROTECT rules still
    apply to anything a person added to them. Real rows are never touched.
    """
    sets = synthetic_querysets()
    communities, rounds = sets[Community], sets[Round]
    returns = MonthlyReturn.objects.filter(community__in=communities)
    volunteers = Volunteer.objects.filter(community__in=communities)
    bodies = GovernanceBody.objects.filter(community__in=communities)
    raw = [
        (TimeBankEntry, TimeBankEntry.objects.filter(volunteer__in=volunteers)),
        (ServiceRecord, ServiceRecord.objects.filter(volunteer__in=volunteers)),
        (Volunteer, volunteers),
        (ReturnValue, ReturnValue.objects.filter(monthly_return__in=returns)),
        (ReturnEvent, ReturnEvent.objects.filter(monthly_return__in=returns)),
        (MonthlyReturn, returns),
        (Rating, Rating.objects.filter(Q(community__in=communities) | Q(round__in=rounds))),
        (Term, Term.objects.filter(body__in=bodies)),
        (GovernanceBody, bodies),
    ]
    removed = Counter()
    for model, queryset in raw:
        removed[model] += queryset._raw_delete(queryset.db)
    for model in (Round, Community, Township):
        _total, per_model = sets[model].delete()
        for label, count in per_model.items():
            removed[apps.get_model(label)] += count
    return +removed


def generate(
    options: Options,
    *,
    replace: bool = False,
    progress: Callable[[int, int, float], None] | None = None,
    note: Callable[[str], None] | None = None,
) -> Result:
    """Write the synthetic data set in one transaction and return what was written.

    Side effects: loads the indicator catalogue when there is none; creates the inactive
    user `syn-generator` (who records the service) when missing; with `replace`, removes
    the synthetic rows of an earlier run first (remove_synthetic). Raises CommandError,
    writing nothing, when the options are out of range or synthetic data exists and
    `replace` is not set. `progress(done, total, seconds)` is called after every chunk.
    On PostgreSQL the commit then checks the deferred foreign keys of every row written,
    about a sixth of the whole run at 10,000 communities; then the tables written are
    analysed (analyze_tables), and `note(text)` is told when that is done.
    """
    check_options(options)
    started = time.perf_counter()
    result = Result()
    with transaction.atomic():
        existing = synthetic_counts()
        if any(existing.values()) and not replace:
            raise CommandError(
                _(
                    "Synthetic data is already there (%(communities)d communities, "
                    "%(townships)d townships, %(rounds)d rounds with codes starting with "
                    "“%(prefix)s”); nothing was written. Run again with --replace to remove "
                    "it first."
                )
                % {
                    "communities": existing[Community],
                    "townships": existing[Township],
                    "rounds": existing[Round],
                    "prefix": PREFIX,
                }
            )
        if replace:
            result.removed = remove_synthetic()
        Generator(options, result, progress, started).run()
    analysed = analyze_tables(set(result.created) | set(result.removed))
    if analysed and note:
        note(
            _("planner statistics (ANALYZE) of %(count)d tables … %(seconds).1f s")
            % {"count": analysed, "seconds": time.perf_counter() - started}
        )
    result.seconds = time.perf_counter() - started
    return result


def analyze_tables(models) -> int:
    """ANALYZE the tables of `models` on PostgreSQL; return how many (0 elsewhere).

    bulk_create of millions of rows leaves the planner's statistics and the row estimates
    stale (the admin's changelists count big tables by estimate) until autovacuum comes
    round, and autovacuum may be off on a benchmark server.
    """
    if connection.vendor != "postgresql" or not models:
        return 0
    tables = sorted({model._meta.db_table for model in models})
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))
    return len(tables)


def summary_text(counts: Counter) -> str:
    """ "3 townships, 12 communities, …" in the order of MODELS."""
    return ", ".join(
        f"{counts[model]} {model._meta.verbose_name_plural}" for model in MODELS if model in counts
    )


class Generator:
    def __init__(self, options: Options, result: Result, progress, started: float):
        self.options = options
        self.result = result
        self.progress = progress
        self.started = started
        self.now = timezone.now()
        until = options.until or add_months(timezone.localdate().replace(day=1), -1)
        # Oldest first: the months' ages count back from `until`.
        self.periods = [add_months(until, -age) for age in reversed(range(options.months))]
        self.until = until

    # Setup ------------------------------------------------------------------------------

    def run(self):
        if not Indicator.objects.exists():
            load_catalogue(Loader(change_reason="generate_scale_data"))
        indicators = list(Indicator.objects.order_by("code"))
        self.bounds = {i.pk: (i.minimum, i.maximum) for i in indicators}
        self.integer = {i.pk for i in indicators if i.value_type == Indicator.ValueType.INTEGER}
        self.codes = {i.pk: i.code for i in indicators}
        self.in_force = {
            period: [
                i
                for i in indicators
                if i.active_from <= period and (i.active_to or period) >= period
            ]
            for period in self.periods
        }
        self.rules = list(IndicatorRule.objects.values_list("left_id", "operator", "right_id"))
        self.user = self._generator_user()
        self.townships = self._townships()
        self.round = self._round()
        self.ratings = []  # (community id, tier, stars, score), ranked at the end
        total = self.options.communities
        for first in range(1, total + 1, self.options.chunk):
            last = min(total, first + self.options.chunk - 1)
            self._chunk(range(first, last + 1))
            if self.progress:
                self.progress(last, total, time.perf_counter() - self.started)
        self._ratings()

    def _bulk(self, model, rows: Iterable) -> list:
        """bulk_create in batches of BATCH_SIZE; the rows come back with their ids."""
        created = []
        iterator = iter(rows)
        while batch := list(islice(iterator, BATCH_SIZE)):
            created += model.objects.bulk_create(batch, batch_size=BATCH_SIZE)
        self.result.created[model] += len(created)
        return created

    def _generator_user(self):
        user, created = get_user_model().objects.get_or_create(
            username=GENERATOR_USERNAME, defaults={"is_active": False}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        return user

    def _townships(self) -> list[Township]:
        count = -(-self.options.communities // self.options.per_township)
        width = max(4, len(str(count)))
        rows = []
        for n in range(1, count + 1):
            rng = random.Random(f"{self.options.seed}:township:{n}")  # noqa: S311 (not secret)
            rows.append(
                Township(
                    code=f"{PREFIX}t{n:0{width}d}",
                    name=f"合成乡镇 {n:0{width}d}",
                    name_en=f"Synthetic township {n:0{width}d}",
                    kind=rng.choice(TOWNSHIP_KINDS),
                    sort_order=1000,
                )
            )
        return self._bulk(Township, rows)

    def _round(self) -> Round:
        year = self.until.year
        round_ = Round(
            code=f"{PREFIX}{year}",
            year=year,
            name=f"合成数据：{year}年度创建“规范、星级、花园”社区评定（性能测试）",
            status=RoundStatus.FINAL,
            declarations_open_on=datetime.date(year - 1, 11, 1),
            declarations_close_on=datetime.date(year - 1, 12, 15),
            review_meeting_on=datetime.date(year, 1, 15),
            notice_starts_on=datetime.date(year, 1, 20),
            notice_ends_on=datetime.date(year, 1, 26),
            finalised_on=datetime.date(year, 2, 1),
            scheme_is_example=True,
        )
        (round_,) = self._bulk(Round, [round_])
        self._bulk(
            Criterion,
            (
                Criterion(
                    round=round_,
                    tier=tier,
                    code=code,
                    name=name,
                    name_en=name_en,
                    max_points=D(max_points),
                    source=source,
                    sort_order=order,
                )
                for order, (tier, code, name, name_en, max_points, source) in enumerate(
                    chunan_2008.EXAMPLE_CRITERIA, start=1
                )
            ),
        )
        self._bulk(
            CutOff,
            (
                CutOff(round=round_, tier=tier, stars=stars, min_score=min_score)
                for tier, stars, min_score in chunan_2008.EXAMPLE_CUTOFFS
            ),
        )
        cutoffs = {(tier, stars): score for tier, stars, score in chunan_2008.EXAMPLE_CUTOFFS}
        star_cuts = [cutoffs[Tier.STAR, s] for s in range(1, 6)] + [D(100)]
        self.score_bands = {
            (Tier.NORMATIVE, None): (cutoffs[Tier.NORMATIVE, 0], D(100)),
            (Tier.GARDEN, None): (cutoffs[Tier.GARDEN, 0], D(100)),
            **{(Tier.STAR, s): (star_cuts[s - 1], star_cuts[s]) for s in range(1, 6)},
        }
        return round_

    # One chunk of communities -----------------------------------------------------------

    def _chunk(self, numbers: range):
        plans = [self._plan(n) for n in numbers]
        communities = self._bulk(Community, (plan.community for plan in plans))
        for plan, community in zip(plans, communities, strict=True):
            plan.set_community(community.pk)
        bodies = self._bulk(GovernanceBody, (plan.body for plan in plans))
        for plan, body in zip(plans, bodies, strict=True):
            plan.term.body_id = body.pk
        self._bulk(Term, (plan.term for plan in plans))
        self._bulk(ServiceNetwork, (row for plan in plans for row in plan.networks))
        self._bulk(ServiceOutlet, (row for plan in plans for row in plan.outlets))

        volunteers = [v for plan in plans for v in plan.volunteers]
        self._bulk(Volunteer, (v.row for v in volunteers))
        records = [(v, r) for v in volunteers for r in v.records]
        for volunteer, record in records:
            record.volunteer_id = volunteer.row.pk
        self._bulk(ServiceRecord, (record for _v, record in records))
        self._bulk(
            TimeBankEntry,
            (
                TimeBankEntry(
                    volunteer_id=record.volunteer_id,
                    kind=TimeBankEntry.Kind.DEPOSIT,
                    hours=record.hours,
                    on=record.served_on,
                    service_record_id=record.pk,
                    note=record.activity,
                    created_by=self.user,
                )
                for _v, record in records
            ),
        )

        returns = [planned for plan in plans for planned in plan.returns]
        self._bulk(MonthlyReturn, (planned.row for planned in returns))
        self._bulk(
            ReturnValue,
            (
                ReturnValue(monthly_return_id=planned.row.pk, indicator_id=pk, value=value)
                for planned in returns
                for pk, value in planned.values
            ),
        )
        self.result.missing_returns += sum(plan.missing for plan in plans)
        self.ratings += [plan.rating for plan in plans if plan.rating]

    def _plan(self, n: int) -> "CommunityPlan":
        rng = random.Random(f"{self.options.seed}:community:{n}")  # noqa: S311 (not secret)
        township = self.townships[(n - 1) // self.options.per_township]
        households = rng.randint(300, 6000)
        residents = round(households * rng.uniform(2.2, 3.0))
        name = f"合成社区 {n:05d}"
        community = Community(
            code=f"{PREFIX}{n:05d}",
            name=name,
            name_en=f"Synthetic community {n:05d}",
            township=township,
            founded_year=rng.randint(1980, 2015),
            address=f"{township.name}合成路{n}号",
            households=households,
            residents=residents,
            # Required space is 0.2 m² a household: about a third fall short of it.
            premises_area_m2=D(households * 0.2 * rng.uniform(0.6, 1.6)).quantize(D("0.1")),
            description=NOTE,
            figures_are_sample=True,
        )
        body = GovernanceBody(
            kind=GovernanceBody.Kind.RESIDENTS_COMMITTEE, name=f"{name}居民委员会"
        )
        # Five-year terms ending from two months before `until` to five years after: a few
        # elections are due in the next 90 days, a few are overdue.
        ends_on = month_end(self.until) + datetime.timedelta(days=rng.randint(-60, 5 * 365))
        starts_on = ends_on - datetime.timedelta(days=5 * 365 + 1)
        term = Term(
            number=rng.randint(6, 12),
            elected_on=starts_on - datetime.timedelta(days=rng.randint(0, 10)),
            starts_on=starts_on,
            ends_on=ends_on,
            members=rng.randint(5, 9),
            is_sample=True,
        )
        networks = [
            ServiceNetwork(
                kind=kind,
                established=established,
                established_on=(
                    datetime.date(rng.randint(2003, 2024), rng.randint(1, 12), 1)
                    if established
                    else None
                ),
            )
            for kind in ServiceNetwork.Kind
            for established in [rng.random() < 0.85]
        ]
        kinds = rng.sample(list(OUTLETS), rng.randint(1, len(OUTLETS)))
        outlets = [
            ServiceOutlet(
                kind=kind,
                name=name + OUTLETS[kind][0],
                address=community.address,
                opening_hours=OUTLETS[kind][1],
                is_sample=True,
            )
            for kind in sorted(kinds)
        ]
        plan = CommunityPlan(community, body, term, networks, outlets)
        plan.volunteers = self._volunteers(rng, n)
        plan.returns, plan.missing = self._returns(rng, plan)
        if rng.random() >= UNRATED_SHARE:
            tier, stars = rng.choices(list(RATING_SHARES), weights=RATING_SHARES.values())[0]
            low, high = self.score_bands[tier, stars]
            score = min(D(rng.uniform(float(low), float(high))).quantize(CENT), high - CENT)
            plan.rating = [None, tier, stars, max(low, score)]
        return plan

    def _volunteers(self, rng, n: int) -> list["VolunteerPlan"]:
        first = self.periods[0]
        volunteers = []
        for i in range(1, rng.randint(3, 8) + 1):
            plan = VolunteerPlan(
                Volunteer(
                    name=f"合成志愿者 {n:05d}-{i}",
                    kind=rng.choice(VOLUNTEER_KINDS),
                    registered_on=first - datetime.timedelta(days=rng.randint(30, 2000)),
                    is_sample=True,
                )
            )
            for period in self.periods:
                days = month_end(period).day
                for _session in range(rng.choices((0, 1, 2), weights=(4, 4, 2))[0]):
                    plan.records.append(
                        ServiceRecord(
                            served_on=period + datetime.timedelta(days=rng.randrange(days)),
                            hours=rng.choice(SERVICE_HOURS),
                            activity=rng.choice(ACTIVITIES),
                            recorded_by=self.user,
                        )
                    )
            volunteers.append(plan)
        return volunteers

    def _returns(self, rng, plan: "CommunityPlan") -> tuple[list["ReturnPlan"], int]:
        community = plan.community
        profile = {
            "old": rng.uniform(0.15, 0.3),
            "disabled": rng.uniform(0.01, 0.03),
            "entitled": rng.uniform(0.002, 0.01),
            "paired": rng.uniform(0.005, 0.02),
            "unemployed": rng.uniform(0.005, 0.02),
            "volunteers": rng.uniform(0.02, 0.06),
            "party": rng.uniform(0.03, 0.06),
            "inservice": rng.uniform(0.2, 0.5),
        }
        bank_hours = Counter()
        for volunteer in plan.volunteers:
            for record in volunteer.records:
                bank_hours[record.served_on.replace(day=1)] += record.hours
        returns, missing = [], 0
        for index, period in enumerate(self.periods):
            age = min(2, len(self.periods) - 1 - index)
            shares = STATUS_SHARES[age]
            status = rng.choices(list(shares), weights=shares.values())[0]
            if status == "missing":
                missing += 1
                continue
            # Households and residents grow by about 0.1% a month.
            growth = 1 + 0.001 * index
            households = round(community.households * growth)
            residents = max(households, round(community.residents * growth))
            figures = self._figures(
                rng, profile, households, residents, len(plan.volunteers), bank_hours[period]
            )
            values = [(i.pk, figures[i.pk]) for i in self.in_force[period]]
            if status == ReturnStatus.DRAFT:
                # A draft is half-filled: the clerk has not entered everything yet.
                values = [(pk, value) for pk, value in values if rng.random() < 0.7]
            returns.append(ReturnPlan(self._return_row(rng, period, status), values))
        return returns, missing

    def _figures(self, rng, profile, households, residents, volunteers, bank_hours) -> dict:
        """One month's value for every indicator (by id), within limits and rules."""
        unemployed = round(residents * profile["unemployed"])
        party = round(residents * profile["party"])
        classes = rng.randint(0, 3)
        received = rng.randint(5, 120)
        known = {
            "households": households,
            "residents": residents,
            "residents_60_plus": round(residents * profile["old"]),
            "disabled_residents": round(residents * profile["disabled"]),
            "entitled_groups": round(residents * profile["entitled"]),
            "households_in_difficulty_paired": round(households * profile["paired"]),
            "help_visits_hardship": rng.randint(0, 30),
            "help_visits_medical": rng.randint(0, 20),
            "help_visits_schooling": rng.randint(0, 10),
            "registered_unemployed": unemployed,
            "reemployed": rng.randint(0, min(unemployed, 10)),
            "training_classes": classes,
            "trainees": classes * rng.randint(8, 30),
            "processing_participants": rng.randint(0, 60),
            "registered_volunteers": max(volunteers, round(residents * profile["volunteers"])),
            # The time bank's deposits plus service that was not banked.
            "volunteer_hours": bank_hours + D(rng.randint(0, 80)) / 2,
            "party_members": party,
            "inservice_party_members": round(party * profile["inservice"]),
            "party_activities": rng.randint(1, 8),
            "cultural_events": rng.randint(0, 10),
            "requests_received": received,
            "requests_resolved": round(received * rng.uniform(0.7, 1.0)),
            "cobuilding_funds": D(rng.randint(0, 5_000_000)) / 100,
        }
        values = {}
        for pk, code in self.codes.items():
            low = self.bounds[pk][0]
            if code in known:
                value = D(known[code])
            else:  # an indicator the county added: a small figure within its limits
                start = low if low is not None else D(0)
                value = start + rng.randint(0, 100)
            values[pk] = self._clamp(pk, value)
        self._fit_rules(values)
        return values

    def _clamp(self, pk, value: Decimal) -> Decimal:
        low, high = self.bounds[pk]
        if low is not None and value < low:
            value = low
        if high is not None and value > high:
            value = high
        return value.quantize(D(1) if pk in self.integer else CENT)

    def _fit_rules(self, values: dict) -> None:
        """Bring each rule's left side in line with its right side (the defaults already
        hold; this is for rules the county added)."""
        for _pass in range(2):
            for left, operator, right in self.rules:
                a, b = values[left], values[right]
                if (operator == "lte" and a > b) or operator == "eq":
                    a = b
                elif operator == "lt" and a >= b:
                    a = b - 1
                elif operator == "gte" and a < b:
                    a = b
                elif operator == "gt" and a <= b:
                    a = b + 1
                values[left] = self._clamp(left, a)

    def _return_row(self, rng, period, status) -> MonthlyReturn:
        row = MonthlyReturn(
            period=period,
            status=status,
            version=rng.randint(*VERSIONS[status]),
            is_sample=True,
        )
        if status == ReturnStatus.DRAFT:
            return row
        due_days = settings.RETURN_DUE_DAYS
        # One in seven returns is late.
        after = (
            rng.randint(due_days + 1, due_days + 15)
            if rng.random() < 0.15
            else rng.randint(1, due_days)
        )
        submitted = self._moment(rng, month_end(period) + datetime.timedelta(days=after))
        row.submitted_at = submitted
        row.is_late = timezone.localdate(submitted) > due_on(period)
        if status == ReturnStatus.RETURNED:
            sent_back = timezone.localdate(submitted) + datetime.timedelta(rng.randint(1, 5))
            row.open_until = max(closes_on(period), sent_back + datetime.timedelta(days=due_days))
        if status in (ReturnStatus.APPROVED, ReturnStatus.ACCEPTED):
            row.approved_at = self._moment(
                rng, timezone.localdate(submitted) + datetime.timedelta(rng.randint(1, 5))
            )
        if status == ReturnStatus.ACCEPTED:
            row.accepted_at = self._moment(
                rng,
                timezone.localdate(row.approved_at) + datetime.timedelta(rng.randint(1, 7)),
            )
        return row

    def _moment(self, rng, day: datetime.date) -> datetime.datetime:
        """A time in office hours on `day`, never in the future."""
        moment = timezone.make_aware(
            datetime.datetime.combine(day, datetime.time(rng.randint(8, 17), rng.randint(0, 59)))
        )
        return min(moment, self.now)

    # Ratings ----------------------------------------------------------------------------

    def _ratings(self):
        """One rating for nine communities in ten, ranked within its tier (scoring.rank's
        rule: the higher total first, equal totals share a rank and the next is skipped)."""
        valid_until = rating_valid_until(self.round)
        ranked = sorted(self.ratings, key=lambda r: (r[1], -r[3], r[0]))
        rows, previous = [], None
        for position, (community_id, tier, stars, score) in enumerate(ranked):
            if previous is None or previous[1] != tier:
                start = position
                rank = 1
            elif previous[3] != score:
                rank = position - start + 1
            previous = (community_id, tier, stars, score)
            rows.append(
                Rating(
                    round=self.round,
                    community_id=community_id,
                    tier=tier,
                    stars=stars,
                    score=score,
                    rank=rank,
                    valid_until=valid_until,
                    explanation=NOTE + "等级按分数段随机生成。",
                )
            )
        self._bulk(Rating, sorted(rows, key=lambda r: r.community_id))


@dataclass
class CommunityPlan:
    """A community and everything that hangs off it, before the community has an id."""

    community: Community
    body: GovernanceBody
    term: Term
    networks: list
    outlets: list
    volunteers: list = field(default_factory=list)
    returns: list = field(default_factory=list)
    missing: int = 0
    rating: list | None = None  # [community id, tier, stars, score]

    def set_community(self, pk: int) -> None:
        self.body.community_id = pk
        for row in self.networks + self.outlets:
            row.community_id = pk
        for volunteer in self.volunteers:
            volunteer.row.community_id = pk
        for planned in self.returns:
            planned.row.community_id = pk
        if self.rating:
            self.rating[0] = pk


@dataclass
class VolunteerPlan:
    row: Volunteer
    records: list = field(default_factory=list)


@dataclass
class ReturnPlan:
    row: MonthlyReturn
    values: list  # [(indicator id, value)]
