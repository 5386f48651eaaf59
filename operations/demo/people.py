"""Sample volunteers, households in difficulty and their help (示例数据) for the demo.

Loaded by `manage.py load_chunan --demo-accounts` (through
`operations.demo.services.load_sample_records`) and never without it: these rows stand for
residents, so they have no place on a server that holds real people. The speech names no
volunteer and no household: every name here is invented (common surnames of the county, drawn
with a fixed seed), every row that has the flag carries `is_sample`, and every telephone number
is an obviously fake 1xx-0000-nnnn.

The records are those of a community that keeps its registers in the portal. For every
month of the demo (`DemoCalendar`: January of last year up to the last closed month), what
`services.prefill` counts from them is exactly what the sample monthly returns say
(`chunan_facts.sample_figures`); this month has its records up to the day of the load:

* volunteers registered at each month's end, among them the in-service Party members
  reporting (在职党员报到) and school League members (在校团员) who report with each new
  school year;
* households in difficulty paired at each month's end, with a co-building unit or a Party
  member as helper (党员联系困难户): pairings end when a household's help is no longer
  needed, and households whose helper left are paired again when the count grows;
* the month's visits of each kind (助困、助医、助学), to households needing that help;
* sessions of service of half an hour to four hours adding up to the month's volunteer
  hours, each deposited in the time bank; a draw each month in 西园.

The plan is the same whichever day it is made: it starts from a fixed month
(DEMO_RECORDS_ORIGIN), each month's rows come from a generator seeded with the community and
the month, and a person or household keeps its name and number as months are added. So a
load on a later day finds the rows made before (by name, or by all their fields for visits
and sessions) and adds only what has happened since: the demo is topped up, never doubled.
Rows are written with `bulk_create` (volunteers and households with their history rows).
"""

import bisect
import datetime
import itertools
import random
from collections import Counter
from decimal import Decimal

from simple_history.utils import bulk_create_with_history

from chunan_community.months import add_months, month_end, months_between
from operations.demo import chunan_facts as facts
from services.domain import time_bank_draw
from services.models import (
    AssistanceVisit,
    AssistedHousehold,
    HelperPairing,
    HelpKind,
    ServiceRecord,
    TimeBankEntry,
    Volunteer,
)

D = datetime.date
ORIGIN = facts.DEMO_RECORDS_ORIGIN  # the first month of the plan
FIRST_REGISTERED = add_months(ORIGIN, -12)  # the earliest sample volunteers and pairings
WAITING = 2  # households whose helper had left before ORIGIN, waiting to be paired again

SURNAMES = "方汪余王徐洪邵胡吴姜鲁程叶何章"
GIVEN_FIRST = "建秀丽国志美卫红晓海金德春文玉学爱慧永桂"
GIVEN_LAST = "华英萍平强玲东军燕涛花明兰斌敏康芳伟娟勇"

Kind = Volunteer.Kind
Category = AssistedHousehold.Category
# The categories of every twenty households, in turn (40 % elderly, 20 % disabled, 25 % low
# income, 10 % entitled groups, 5 % other), and the help each category needs: the needs of
# the first of each two households of the category, then of the second.
CATEGORY_CYCLE = [Category.ELDERLY] * 8 + [Category.DISABLED] * 4 + [Category.LOW_INCOME] * 5
CATEGORY_CYCLE += [Category.ENTITLED] * 2 + [Category.OTHER]
NEEDS_OF = {
    Category.ELDERLY: ({"help_hardship": True, "help_medical": True}, {"help_hardship": True}),
    Category.DISABLED: ({"help_medical": True}, {"help_medical": True, "help_hardship": True}),
    Category.LOW_INCOME: ({"help_hardship": True, "help_schooling": True},) * 2,
    Category.ENTITLED: ({"help_hardship": True},) * 2,
    Category.OTHER: ({"help_hardship": True},) * 2,
}
NEEDS = {
    HelpKind.HARDSHIP: "help_hardship",
    HelpKind.MEDICAL: "help_medical",
    HelpKind.SCHOOLING: "help_schooling",
}
VISIT_INDICATORS = {
    HelpKind.HARDSHIP: "help_visits_hardship",
    HelpKind.MEDICAL: "help_visits_medical",
    HelpKind.SCHOOLING: "help_visits_schooling",
}
VISIT_NOTES = {
    HelpKind.HARDSHIP: ["上门走访，了解生活情况", "送米送油，了解家庭困难", "帮助申请临时救助"],
    HelpKind.MEDICAL: ["陪同到社区卫生服务站就医", "陪同复诊，代取药品", "上门测量血压，讲解用药"],
    HelpKind.SCHOOLING: ["开学送学习用品，了解孩子学习情况", "辅导孩子功课", "联系学校落实助学金"],
}
VISIT_HOURS = [Decimal(1), Decimal(1), Decimal("1.5"), Decimal(2)]
# (activity, serves a household): the sessions of volunteer service.
ACTIVITIES = [
    ("楼道清扫和环境整治", False),
    ("社区文化活动志愿服务", False),
    ("治安巡逻", False),
    ("便民服务日：理发、维修", False),
    ("社区图书室值班", False),
    ("垃圾分类宣传引导", False),
    ("上门助老服务", True),
    ("陪伴残疾人康复训练", True),
]
# A session's length in half hours (0.5 to 4 hours), most of them two to three hours.
SESSION_HALF_HOURS = [1, 2, 3, 4, 4, 4, 5, 5, 6, 6, 8]
# How often a volunteer serves, relative to the others: a few serve every week.
ZEAL = [1, 1, 1, 1, 2, 2, 3, 6]
# Community → (day of the last closed month, hours, note): each month its resident volunteer
# with the most hours deposited draws them from the time bank.
DRAWS = {"xiyuan": (28, Decimal(2), "兑换服务：家中老人接受助老上门服务")}


def name_pool(code: str) -> list[str]:
    """Every invented name (two or three characters), in an order fixed per community:
    volunteers take them from the front, households from the back."""
    given = [*GIVEN_LAST, *(a + b for a, b in itertools.product(GIVEN_FIRST, GIVEN_LAST))]
    pool = [surname + name for surname, name in itertools.product(SURNAMES, given)]
    random.Random(f"{code}-people").shuffle(pool)  # noqa: S311
    return pool


def fake_phone(prefix: str, number: int) -> str:
    """An obviously fake mobile number: the 0000 in the middle is never issued."""
    return f"{prefix}-0000-{number:04d}"


def _day_between(rng, first: datetime.date, last: datetime.date) -> datetime.date:
    return first + datetime.timedelta(days=rng.randint(0, (last - first).days))


def _rng(*parts) -> random.Random:
    return random.Random("-".join(str(part) for part in parts))  # noqa: S311


class CommunityPeople:
    """The planned sample people and records of one community, from ORIGIN to this month.

    Nothing is written here: `plan()` makes unsaved rows, those of visits and sessions only
    for the demo's months (`calendar.first_month` on) and nothing dated after the day.
    """

    def __init__(self, code, community, *, unit, by, calendar):
        self.code = code
        self.community = community
        self.unit = unit
        self.by = by
        self.calendar = calendar
        self.today = calendar.today
        self.names = name_pool(code)
        # Phones: a thousand numbers a community, whichever communities a run loads.
        self.phone_base = list(facts.FIGURES).index(code) * 1000 + 1
        self.volunteers = []  # in the order they were planned
        self.by_day = []  # the same, by day of registration
        self.households = []
        self.pairings = []  # per household: its pairings, oldest first
        self.visits = []
        self.records = []

    def plan(self):
        months = months_between(ORIGIN, self.calendar.this_month)
        figures = [facts.sample_figures(self.code, period) for period in months]
        self.running, self.waiting = [], []
        for index, period in enumerate(months):
            before = figures[index - 1] if index else None
            self._register(index, period, figures[index], before)
            self._pair_households(index, period, figures[index], before)
            if period >= self.calendar.first_month:
                self._visit(period, figures[index])
                self._serve(period, figures[index])
        return self

    # Volunteers -----------------------------------------------------------------------

    def _add_volunteer(self, rng, kind, first, last):
        number = len(self.volunteers)
        # Students leave no phone number; a few others chose not to give one.
        has_phone = kind != Kind.LEAGUE_MEMBER and rng.random() < 0.9
        volunteer = Volunteer(
            community=self.community,
            name=self.names[number],
            phone=fake_phone("138", self.phone_base + number) if has_phone else "",
            kind=kind,
            registered_on=_day_between(rng, first, last),
            is_sample=True,
        )
        volunteer.zeal = _rng(self.code, "zeal", number).choice(ZEAL)
        volunteer.number = number
        self.volunteers.append(volunteer)

    def _register(self, index, period, figures, before):
        """As many registered by the month's end as the return says, so many Party members.

        Before ORIGIN: the Party members, the League members of the last school year and
        residents, a handful of them registered in the first month itself. Each later month
        brings its new Party members, and each September the new school year's League
        members.
        """
        registered = int(figures["registered_volunteers"])
        party = int(figures["inservice_party_members"])
        end = month_end(period)
        if before is None:
            rng = _rng(self.code, "volunteers", "origin")
            league = round(registered * 0.04)
            residents = registered - party - league
            in_first = min(rng.randint(2, 4), residents)
            school_year = D(period.year - 1, 9, 1)
            earlier = period - datetime.timedelta(days=1)
            cohorts = [
                ([Kind.PARTY_MEMBER] * party, FIRST_REGISTERED, earlier),
                ([Kind.LEAGUE_MEMBER] * league, school_year, school_year.replace(day=30)),
                ([Kind.RESIDENT] * (residents - in_first), FIRST_REGISTERED, earlier),
                ([Kind.RESIDENT] * in_first, period, end),
            ]
        else:
            rng = _rng(self.code, "volunteers", f"{period:%Y-%m}")
            new = registered - int(before["registered_volunteers"])
            new_party = party - int(before["inservice_party_members"])
            if not 0 <= new_party <= new:
                raise ValueError(
                    f"{self.code} {period:%Y-%m}: the sample returns' volunteers cannot come "
                    "from the records (a count falls, or more Party members join than "
                    "volunteers)."
                )
            new_league = (new - new_party + 1) // 2 if period.month == 9 else 0
            kinds = [
                *[Kind.PARTY_MEMBER] * new_party,
                *[Kind.LEAGUE_MEMBER] * new_league,
                *[Kind.RESIDENT] * (new - new_party - new_league),
            ]
            cohorts = [(kinds, period, end)]
        for kinds, first, last in cohorts:
            for kind in kinds:
                self._add_volunteer(rng, kind, first, last)
        self.by_day = sorted(self.volunteers, key=lambda v: (v.registered_on, v.number))
        self.registered_on = [volunteer.registered_on for volunteer in self.by_day]
        self.weights = list(itertools.accumulate(volunteer.zeal for volunteer in self.by_day))
        self.party = [v for v in self.by_day if v.kind == Kind.PARTY_MEMBER]

    # Households and their helpers ------------------------------------------------------

    def _new_household(self) -> int:
        number = len(self.households)
        category = CATEGORY_CYCLE[number % len(CATEGORY_CYCLE)]
        needs = NEEDS_OF[category][(number // len(CATEGORY_CYCLE)) % 2]
        rng = _rng(self.code, "household", number)
        self.households.append(
            AssistedHousehold(
                community=self.community,
                household_name=self.names[-1 - number],
                phone=fake_phone("139", self.phone_base + number) if rng.random() < 0.7 else "",
                category=category,
                **needs,
                is_sample=True,
            )
        )
        self.pairings.append([])
        return number

    def _pair_households(self, index, period, figures, before):
        """Paired at each month's end as many as the return says.

        In the first month: the paired households (one of them paired that month) and
        WAITING households whose helper left before it. When the count grows, the waiting
        are paired again first, then newly found households; when it falls, some pairings
        end during the month (the help is no longer needed).
        """
        paired = int(figures["households_in_difficulty_paired"])
        end = month_end(period)
        if before is None:
            rng = _rng(self.code, "households", "origin")
            earlier = period - datetime.timedelta(days=1)
            for number in range(paired):
                household = self._new_household()
                if number == 0:
                    self._pair(rng, household, period, end)
                else:
                    self._pair(rng, household, FIRST_REGISTERED, earlier)
                self.running.append(household)
            for _ in range(WAITING):
                household = self._new_household()
                left = add_months(period, -1)
                pairing = self._pair(rng, household, FIRST_REGISTERED, add_months(period, -7))
                pairing.ended_on = _day_between(rng, left, month_end(left))
                self.waiting.append(household)
            return
        rng = _rng(self.code, "households", f"{period:%Y-%m}")
        change = paired - int(before["households_in_difficulty_paired"])
        for _ in range(change):
            household = self.waiting.pop(0) if self.waiting else self._new_household()
            self._pair(rng, household, period, end)
            self.running.append(household)
        for household in rng.sample(self.running, max(-change, 0)):
            self.running.remove(household)
            pairing = self.pairings[household][-1]
            pairing.ended_on = _day_between(rng, period, end - datetime.timedelta(days=1))
            self.waiting.append(household)

    def _pair(self, rng, household: int, first, last) -> HelperPairing:
        """Pair the household from a day between `first` and `last` with a helper."""
        if self.unit is not None and rng.random() < 0.15:
            helper = {"co_building_unit": self.unit}
            started_on = _day_between(rng, first, last)
        else:
            eligible = [v for v in self.party if v.registered_on <= last] or self.by_day[:1]
            volunteer = rng.choice(eligible)
            helper = {"volunteer": volunteer}
            started_on = _day_between(rng, max(first, volunteer.registered_on), last)
        pairing = HelperPairing(
            household=self.households[household], started_on=started_on, **helper
        )
        self.pairings[household].append(pairing)
        return pairing

    # Visits -----------------------------------------------------------------------------

    def _visit(self, period, figures):
        """The month's visits of each kind, in turn to the households needing that help
        that are paired during the month, by their helper."""
        rng = _rng(self.code, "visits", f"{period:%Y-%m}")
        end = month_end(period)
        for kind, field in NEEDS.items():
            # (household, its pairing this month or None, first and last day)
            candidates = []
            for household, pairings in zip(self.households, self.pairings, strict=True):
                if not getattr(household, field):
                    continue
                for pairing in reversed(pairings):
                    first = max(period, pairing.started_on)
                    last = min(end, pairing.ended_on or end)
                    if first <= last:
                        candidates.append((household, pairing, first, last))
                        break
            if not candidates:  # nobody paired needs it: the community's own staff go
                candidates = [
                    (household, None, period, end)
                    for household in self.households
                    if getattr(household, field)
                ]
            rng.shuffle(candidates)
            for number in range(int(figures[VISIT_INDICATORS[kind]])):
                household, pairing, first, last = candidates[number % len(candidates)]
                self.visits.append(
                    AssistanceVisit(
                        household=household,
                        visited_on=_day_between(rng, first, last),
                        kind=kind,
                        by_volunteer=pairing.volunteer if pairing else None,
                        hours=rng.choice(VISIT_HOURS),
                        note=rng.choice(VISIT_NOTES[kind]),
                    )
                )

    # Service and the time bank ----------------------------------------------------------

    def _serve(self, period, figures):
        """Sessions adding up to the month's volunteer hours, each by a volunteer already
        registered that day; some volunteers serve far more often than others."""
        rng = _rng(self.code, "service", f"{period:%Y-%m}")
        # Households paired before the month began: they exist on every day of it.
        served = [
            household
            for household, pairings in zip(self.households, self.pairings, strict=True)
            if (household.help_medical or household.category == Category.ELDERLY)
            and pairings[0].started_on < period
        ]
        end = month_end(period)
        left = int(figures["volunteer_hours"] * 2)  # half hours
        while left:
            half_hours = rng.choice(SESSION_HALF_HOURS) if left > 8 else left
            left -= half_hours
            day = _day_between(rng, period, end)
            eligible = bisect.bisect_right(self.registered_on, day)
            pick = bisect.bisect_right(self.weights, rng.random() * self.weights[eligible - 1])
            activity, for_household = rng.choice(ACTIVITIES)
            self.records.append(
                ServiceRecord(
                    volunteer=self.by_day[min(pick, eligible - 1)],
                    served_on=day,
                    hours=Decimal(half_hours) / 2,
                    activity=activity,
                    household=rng.choice(served) if for_household and served else None,
                    recorded_by=self.by,
                )
            )

    # What has happened by the day -------------------------------------------------------

    def people(self):
        """(volunteers, households) that exist on the day."""
        first_paired = {}
        for household, pairings in zip(self.households, self.pairings, strict=True):
            first_paired[household.household_name] = pairings[0].started_on
        return (
            [v for v in self.volunteers if v.registered_on <= self.today],
            [h for h in self.households if first_paired[h.household_name] <= self.today],
        )

    def pairings_by_day(self):
        """The pairings begun by the day, an end after the day not yet known."""
        for pairings in self.pairings:
            for pairing in pairings:
                if pairing.started_on <= self.today:
                    if pairing.ended_on and pairing.ended_on > self.today:
                        pairing.ended_on = None
                    yield pairing

    def visits_by_day(self):
        return [
            visit
            for visit in self.visits
            if visit.visited_on <= self.today and visit.household.pk is not None
        ]

    def records_by_day(self):
        return [record for record in self.records if record.served_on <= self.today]

    def top_resident(self, day: datetime.date) -> Volunteer:
        """The resident volunteer with the most hours deposited by `day`."""
        hours = Counter()
        for record in self.records:
            if record.served_on <= day and record.volunteer.kind == Kind.RESIDENT:
                hours[record.volunteer.number] += record.hours
        best = max(hours.items(), key=lambda item: (item[1], -item[0]))[0]
        return self.volunteers[best]


def load_people(loader, communities: dict, *, units: dict, recorders: dict, calendar) -> None:
    """Volunteers, households, pairings, visits, service and the time bank of each community,
    as planned up to `calendar.today`: what a load before made is found and kept.

    units: community code → its co-building unit (or none); recorders: community code → the
    account that records its service (the demo clerk for 西园, else the loader's stand-in).
    """
    plans = [
        CommunityPeople(
            code, community, unit=units.get(code), by=recorders[code], calendar=calendar
        ).plan()
        for code, community in communities.items()
    ]
    # The people: found by name in their community, else created with their history.
    for model, name_field, index in (
        (Volunteer, "name", 0),
        (AssistedHousehold, "household_name", 1),
    ):
        planned = [row for plan in plans for row in plan.people()[index]]
        stored = {
            (community_id, name): pk
            for community_id, name, pk in model.objects.filter(
                community__in=communities.values()
            ).values_list("community_id", name_field, "pk")
        }
        new = []
        for row in planned:
            pk = stored.get((row.community_id, getattr(row, name_field)))
            if pk is None:
                new.append(row)
            else:
                row.pk = pk
                row._state.adding = False
        bulk_create_with_history(new, model, default_change_reason=loader.change_reason)
        loader.count(model, "created", len(new))
        loader.count(model, "unchanged", len(planned) - len(new))

    _load_pairings(loader, [p for plan in plans for p in plan.pairings_by_day()])
    community_list = list(communities.values())
    visits = [visit for plan in plans for visit in plan.visits_by_day()]
    stored = AssistanceVisit.objects.filter(household__community__in=community_list)
    _add_missing(loader, stored, visits, VISIT_KEY)
    records = [record for plan in plans for record in plan.records_by_day()]
    stored = ServiceRecord.objects.filter(volunteer__community__in=community_list)
    created = _add_missing(loader, stored, records, RECORD_KEY)
    # Each session's time-bank deposit, as services.domain.service_record makes it.
    deposits = TimeBankEntry.objects.bulk_create(
        TimeBankEntry(
            volunteer=record.volunteer,
            kind=TimeBankEntry.Kind.DEPOSIT,
            hours=record.hours,
            on=record.served_on,
            service_record=record,
            note=record.activity[:200],
            created_by=record.recorded_by,
        )
        for record in created
    )
    loader.count(TimeBankEntry, "created", len(deposits))
    loader.count(TimeBankEntry, "unchanged", len(records) - len(created))
    for plan in plans:
        if plan.code in DRAWS:
            _draw(loader, plan)


VISIT_KEY = ("household_id", "visited_on", "kind", "hours", "note", "by_volunteer_id")
RECORD_KEY = ("volunteer_id", "served_on", "hours", "activity", "household_id")


def _normal(value):
    return value.normalize() if isinstance(value, Decimal) else value


def _key(row, fields) -> tuple:
    """The row's values of `fields`, a related row's by its primary key."""
    values = []
    for field in fields:
        value = getattr(row, field)
        if value is None and field.endswith("_id"):
            related = getattr(row, field.removesuffix("_id"))
            value = related.pk if related is not None else None
        values.append(_normal(value))
    return tuple(values)


def _add_missing(loader, stored_rows, planned, fields):
    """Create the planned rows that are not stored yet: each stored row matches one."""
    model = stored_rows.model
    stored = Counter(tuple(map(_normal, row)) for row in stored_rows.values_list(*fields))
    new = []
    for row in planned:
        key = _key(row, fields)
        if stored[key]:
            stored[key] -= 1
        else:
            new.append(row)
    made = model.objects.bulk_create(new)
    loader.count(model, "created", len(made))
    loader.count(model, "unchanged", len(planned) - len(made))
    return made


def _load_pairings(loader, planned):
    """Create the pairings begun since the last load; end those that ended since."""
    households = {row.household.pk for row in planned}
    stored = {
        (pairing.household_id, pairing.started_on): pairing
        for pairing in HelperPairing.objects.filter(household_id__in=households)
    }
    new, ended = [], []
    for row in planned:
        found = stored.get((row.household.pk, row.started_on))
        if found is None:
            new.append(row)
        elif row.ended_on and found.ended_on is None:
            found.ended_on = row.ended_on
            ended.append(found)
    HelperPairing.objects.bulk_create(new)
    HelperPairing.objects.bulk_update(ended, ["ended_on"])
    loader.count(HelperPairing, "created", len(new))
    loader.count(HelperPairing, "updated", len(ended))
    loader.count(HelperPairing, "unchanged", len(planned) - len(new) - len(ended))


def _draw(loader, plan):
    """The month's draw from the time bank, on the given day of the last closed month."""
    day, hours, note = DRAWS[plan.code]
    last = plan.calendar.last_month
    on = min(last.replace(day=day), month_end(last))
    planned = plan.top_resident(on)
    if TimeBankEntry.objects.filter(
        volunteer__community=plan.community, kind=TimeBankEntry.Kind.DRAW, on=on, note=note
    ).exists():
        loader.count(TimeBankEntry, "unchanged")
        return
    time_bank_draw(volunteer=planned, hours=hours, on=on, note=note, by=plan.by)
    loader.count(TimeBankEntry, "created")
