"""Sample volunteers, households in difficulty and their help (示例数据) for the demo.

Loaded by `manage.py load_chunan --demo-accounts` (through `services.demo.load_sample_records`)
and never without it: these rows stand for residents, so they have no place on a server that
holds real people. The speech names no volunteer and no household: every name here is
invented (common surnames of the county, drawn with a fixed seed), every row that has the
flag carries `is_sample`, and every telephone number is an obviously fake 1xx-0000-nnnn.

The records are those of a community that keeps its registers in the portal: for August,
September and October 2026 (dated from `DEMO_LAST_MONTH`, not from today, so that every load
and every test sees the same rows), what `services.prefill` counts from them is exactly what
the sample monthly returns say (`chunan_facts.sample_figures`):

* volunteers registered at each month's end, the earliest from 2025, among them the
  in-service Party members reporting (在职党员报到) and school League members (在校团员)
  who reported with the new school year;
* households in difficulty paired at each month's end, with a co-building unit or a Party
  member as helper (党员联系困难户): pairings end when a household's help is no longer
  needed, and a household whose helper moved away in June 2026 is paired again when the
  count grows;
* the month's visits of each kind (助困、助医、助学), to households needing that help;
* sessions of service of half an hour to four hours adding up to the month's volunteer
  hours, each deposited in the time bank; one draw, in 西园.

Hundreds of volunteers and a few thousand sessions: they are written with `bulk_create`
(volunteers and households with their history rows), all deterministic (seeded per
community). A community that already has sample volunteers is left alone, and so are rows
that people entered.
"""

import bisect
import datetime
import itertools
import random
from collections import Counter
from decimal import Decimal

from django.db.models import Count
from simple_history.utils import bulk_create_with_history

from communities import chunan_facts as facts
from communities.models import month_end
from communities.returns_checks import add_months, months_back
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
LAST = facts.DEMO_LAST_MONTH  # October 2026
MONTHS = [add_months(LAST, -2), add_months(LAST, -1), LAST]  # August to October 2026
FIRST_REGISTERED = D(2025, 1, 1)  # the earliest sample volunteers and pairings
BEFORE = add_months(MONTHS[0], -1)  # July 2026: the records before the demo months
SCHOOL_YEAR_2025 = D(2025, 9, 1)  # when the earlier League members reported
HELPER_MOVED_AWAY = D(2026, 6, 30)  # when the waiting households' helpers left
WAITING = 2  # households unpaired at the end of July, their helper gone

SURNAMES = "方汪余王徐洪邵胡吴姜鲁程叶何章"
GIVEN_FIRST = "建秀丽国志美卫红晓海金德春文玉学爱慧永桂"
GIVEN_LAST = "华英萍平强玲东军燕涛花明兰斌敏康芳伟娟勇"

Kind = Volunteer.Kind
Category = AssistedHousehold.Category
# Category → (share of the households, the help it needs); the needs of the first of each
# two households of the category, then of the second.
CATEGORIES = [
    (
        Category.ELDERLY,
        0.40,
        ({"help_hardship": True, "help_medical": True}, {"help_hardship": True}),
    ),
    (
        Category.DISABLED,
        0.20,
        ({"help_medical": True}, {"help_medical": True, "help_hardship": True}),
    ),
    (Category.LOW_INCOME, 0.25, ({"help_hardship": True, "help_schooling": True},) * 2),
    (Category.ENTITLED, 0.10, ({"help_hardship": True},) * 2),
    (Category.OTHER, 0.05, ({"help_hardship": True},) * 2),
]
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
# A session's length in half hours (0.5 to 4 hours), most of them one to two hours.
SESSION_HALF_HOURS = [1, 2, 2, 2, 3, 3, 4, 4, 4, 5, 6, 6, 8]
# How often a volunteer serves, relative to the others: a few serve every week.
ZEAL = [1, 1, 1, 1, 2, 2, 3, 6]
# Community → (day in October 2026, hours, note) drawn from the time bank by its resident
# volunteer with the most hours deposited.
DRAWS = {"xiyuan": (D(2026, 10, 28), Decimal(2), "兑换服务：家中老人接受助老上门服务")}


def sample_names(code: str, count: int) -> list[str]:
    """`count` different invented names (two or three characters) for the community, the
    same on every load."""
    given = [*GIVEN_LAST, *(a + b for a, b in itertools.product(GIVEN_FIRST, GIVEN_LAST))]
    pool = [surname + name for surname, name in itertools.product(SURNAMES, given)]
    return random.Random(f"{code}-people").sample(pool, count)  # noqa: S311


def fake_phone(prefix: str, number: int) -> str:
    """An obviously fake mobile number: the 0000 in the middle is never issued."""
    return f"{prefix}-0000-{number:04d}"


def month_figures(code: str) -> list[dict[str, Decimal]]:
    """The sample return's figures of each of MONTHS for the community."""
    months = sorted(months_back(LAST, facts.DEMO_MONTHS))
    return [facts.sample_figures(code, period, months.index(period)) for period in MONTHS]


def load_people(loader, communities: dict, *, units: dict, recorders: dict) -> None:
    """Volunteers, households, pairings, visits, service and the time bank of each community.

    units: community code → its co-building unit (or none); recorders: community code → the
    account that records its service (the demo clerk for 西园, else the loader's stand-in).
    """
    done = set(
        Volunteer.objects.filter(community__in=communities.values(), is_sample=True)
        .values_list("community_id", flat=True)
        .distinct()
    )
    _count_unchanged(loader, [c for c in communities.values() if c.pk in done])
    people = [
        CommunityPeople(code, community, unit=units.get(code), by=recorders[code])
        for code, community in communities.items()
        if community.pk not in done
    ]
    if not people:
        return
    models = (Volunteer, AssistedHousehold, HelperPairing, AssistanceVisit, ServiceRecord)
    rows = {model: [] for model in models}
    for community in people:
        for model, made in community.rows().items():
            rows[model].extend(made)
    # The people with their history, as if entered one by one; then what refers to them.
    for model in (Volunteer, AssistedHousehold):
        bulk_create_with_history(rows[model], model, default_change_reason=loader.change_reason)
    for model in (HelperPairing, AssistanceVisit, ServiceRecord):
        model.objects.bulk_create(rows[model])
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
        for record in rows[ServiceRecord]
    )
    for model, made in (*rows.items(), (TimeBankEntry, deposits)):
        loader.count(model, "created", len(made))
    for community in people:
        if community.code in DRAWS:
            on, hours, note = DRAWS[community.code]
            time_bank_draw(
                volunteer=community.top_resident(on), hours=hours, on=on, note=note, by=community.by
            )
            loader.count(TimeBankEntry, "created")


def _count_unchanged(loader, communities: list) -> None:
    """The sample rows of communities loaded before, and what hangs on them, as unchanged."""
    if not communities:
        return
    volunteers = Volunteer.objects.filter(community__in=communities, is_sample=True)
    households = AssistedHousehold.objects.filter(community__in=communities, is_sample=True)
    counted = [
        (Volunteer, volunteers.aggregate(n=Count("pk"))["n"]),
        (AssistedHousehold, households.aggregate(n=Count("pk"))["n"]),
        (HelperPairing, HelperPairing.objects.filter(household__in=households).count()),
        (AssistanceVisit, AssistanceVisit.objects.filter(household__in=households).count()),
        (ServiceRecord, ServiceRecord.objects.filter(volunteer__in=volunteers).count()),
        (TimeBankEntry, TimeBankEntry.objects.filter(volunteer__in=volunteers).count()),
    ]
    for model, number in counted:
        loader.count(model, "unchanged", number)


def _day_between(rng, first: datetime.date, last: datetime.date) -> datetime.date:
    return first + datetime.timedelta(days=rng.randint(0, (last - first).days))


class CommunityPeople:
    """The sample people and records of one community, made to match its sample returns.

    Nothing is written here: `rows()` gives the unsaved rows, each model's in the order
    they must be created.
    """

    def __init__(self, code, community, *, unit, by):
        self.code = code
        self.community = community
        self.unit = unit
        self.by = by
        self.figures = month_figures(code)
        self.rng = random.Random(f"{code}-records")  # noqa: S311
        # Phones: a thousand numbers a community, whichever communities a run loads.
        first = list(facts.FIGURES).index(code) * 1000 + 1
        self.phones = {"138": itertools.count(first), "139": itertools.count(first)}
        self.volunteers = []
        self.households = []
        self.pairings = []  # per household: its pairings, oldest first

    def rows(self) -> dict:
        self._volunteers()
        self._households()
        self.records = self._service()
        return {
            Volunteer: self.volunteers,
            AssistedHousehold: self.households,
            HelperPairing: [p for pairings in self.pairings for p in pairings],
            AssistanceVisit: self._visits(),
            ServiceRecord: self.records,
        }

    def _figure(self, name: str) -> list[int]:
        return [int(figures[name]) for figures in self.figures]

    def _phone(self, prefix: str, has_phone: bool) -> str:
        return fake_phone(prefix, next(self.phones[prefix])) if has_phone else ""

    # Volunteers -----------------------------------------------------------------------

    def _volunteers(self):
        """As many registered at each month's end as the returns say, so many Party members.

        Before August: the Party members, a few League members of the 2025 school year and
        residents, a handful of them registered in August itself; each later month brings
        its new Party members, and in September the new school year's League members.
        """
        rng = self.rng
        registered, party = (
            self._figure("registered_volunteers"),
            self._figure("inservice_party_members"),
        )
        cohorts = []  # (kinds, first day, last day) registered in each stretch
        league = round(registered[0] * 0.04)
        residents = registered[0] - party[0] - league
        in_august = min(rng.randint(2, 4), residents)
        cohorts.append(([Kind.PARTY_MEMBER] * party[0], FIRST_REGISTERED, month_end(BEFORE)))
        cohorts.append(([Kind.LEAGUE_MEMBER] * league, SCHOOL_YEAR_2025, D(2025, 9, 30)))
        cohorts.append(
            ([Kind.RESIDENT] * (residents - in_august), FIRST_REGISTERED, month_end(BEFORE))
        )
        cohorts.append(([Kind.RESIDENT] * in_august, MONTHS[0], month_end(MONTHS[0])))
        for month in (1, 2):
            new = registered[month] - registered[month - 1]
            new_party = party[month] - party[month - 1]
            if not 0 <= new_party <= new:
                raise ValueError(
                    f"{self.code} {MONTHS[month]:%Y-%m}: the sample returns' volunteers "
                    "cannot come from the records (a count falls, or more Party members "
                    "join than volunteers)."
                )
            new_league = (new - new_party + 1) // 2 if MONTHS[month].month == 9 else 0
            kinds = [
                *[Kind.PARTY_MEMBER] * new_party,
                *[Kind.LEAGUE_MEMBER] * new_league,
                *[Kind.RESIDENT] * (new - new_party - new_league),
            ]
            cohorts.append((kinds, MONTHS[month], month_end(MONTHS[month])))
        total = registered[-1]
        self.names = sample_names(self.code, total + self._households_needed())
        names = iter(self.names)
        for kinds, first, last in cohorts:
            for kind in kinds:
                # Students leave no phone number; a few others chose not to give one.
                has_phone = kind != Kind.LEAGUE_MEMBER and rng.random() < 0.9
                self.volunteers.append(
                    Volunteer(
                        community=self.community,
                        name=next(names),
                        phone=self._phone("138", has_phone),
                        kind=kind,
                        registered_on=_day_between(rng, first, last),
                        is_sample=True,
                    )
                )
        self.volunteers.sort(key=lambda volunteer: volunteer.registered_on)
        self.registered_on = [volunteer.registered_on for volunteer in self.volunteers]
        self.party = [v for v in self.volunteers if v.kind == Kind.PARTY_MEMBER]
        rng.shuffle(self.party)
        self.helpers = itertools.cycle(self.party)

    def _helper_by(self, day: datetime.date) -> Volunteer:
        """A Party member registered by `day` to pair with a household, in turn."""
        for _ in range(len(self.party)):
            helper = next(self.helpers)
            if helper.registered_on <= day:
                return helper
        return self.volunteers[0]  # registered first of all

    # Households and their helpers ------------------------------------------------------

    def _households_needed(self) -> int:
        """Those paired at the end of August, those waiting, and those first paired later."""
        paired = self._figure("households_in_difficulty_paired")
        unpaired, new = WAITING, 0
        for before, after in itertools.pairwise(paired):
            again = min(max(after - before, 0), unpaired)
            new += max(after - before, 0) - again
            unpaired += max(before - after, 0) - again
        return paired[0] + WAITING + new

    def _households(self):
        """Paired at each month's end as many as the returns say.

        At the end of August: the paired households (one of them paired in August) and
        WAITING households whose helper moved away at the end of June. When the count grows,
        the waiting are paired again first, then newly found households; when it falls, some
        pairings end during the month (the help is no longer needed).
        """
        rng = self.rng
        count = self._households_needed()
        categories = []
        for category, share, _needs in CATEGORIES[1:]:
            categories += [category] * max(2, round(count * share))
        categories = [Category.ELDERLY] * (count - len(categories)) + categories
        categories = categories[:count]
        rng.shuffle(categories)
        seen = Counter()
        needs_of = {category: needs for category, _share, needs in CATEGORIES}
        for name, category in zip(self.names[len(self.volunteers) :], categories, strict=True):
            needs = needs_of[category][seen[category] % 2]
            seen[category] += 1
            self.households.append(
                AssistedHousehold(
                    community=self.community,
                    household_name=name,
                    phone=self._phone("139", rng.random() < 0.7),
                    category=category,
                    **needs,
                    is_sample=True,
                )
            )
            self.pairings.append([])
        paired = self._figure("households_in_difficulty_paired")
        households = iter(range(count))
        running = []
        for number in range(paired[0]):
            household = next(households)
            if number == 0:
                self._pair(household, MONTHS[0], month_end(MONTHS[0]))
            else:
                self._pair(household, FIRST_REGISTERED, month_end(BEFORE))
            running.append(household)
        waiting = []
        for _ in range(WAITING):
            household = next(households)
            pairing = self._pair(household, FIRST_REGISTERED, D(2025, 12, 31))
            pairing.ended_on = HELPER_MOVED_AWAY
            waiting.append(household)
        for month in (1, 2):
            period = MONTHS[month]
            change = paired[month] - paired[month - 1]
            for _ in range(change):
                household = waiting.pop(0) if waiting else next(households)
                self._pair(household, period, month_end(period))
                running.append(household)
            for household in rng.sample(running, max(-change, 0)):
                running.remove(household)
                pairing = self.pairings[household][-1]
                pairing.ended_on = _day_between(
                    rng, period, month_end(period) - datetime.timedelta(days=1)
                )
                waiting.append(household)

    def _pair(self, household: int, first: datetime.date, last: datetime.date) -> HelperPairing:
        """Pair the household from a day between `first` and `last` with a helper."""
        rng = self.rng
        if self.unit is not None and rng.random() < 0.15:
            helper = {"co_building_unit": self.unit}
            started_on = _day_between(rng, first, last)
        else:
            volunteer = self._helper_by(last)
            helper = {"volunteer": volunteer}
            started_on = _day_between(rng, max(first, volunteer.registered_on), last)
        pairing = HelperPairing(
            household=self.households[household], started_on=started_on, **helper
        )
        self.pairings[household].append(pairing)
        return pairing

    # Visits -----------------------------------------------------------------------------

    def _visits(self) -> list[AssistanceVisit]:
        """Each month's visits of each kind, in turn to the households needing that help
        that are paired during the month, by their helper."""
        rng = self.rng
        visits = []
        for period, figures in zip(MONTHS, self.figures, strict=True):
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
                    visits.append(
                        AssistanceVisit(
                            household=household,
                            visited_on=_day_between(rng, first, last),
                            kind=kind,
                            by_volunteer=pairing.volunteer if pairing else None,
                            hours=rng.choice(VISIT_HOURS),
                            note=rng.choice(VISIT_NOTES[kind]),
                        )
                    )
        return visits

    # Service and the time bank ----------------------------------------------------------

    def _service(self) -> list[ServiceRecord]:
        """Sessions adding up to each month's volunteer hours, each by a volunteer already
        registered that day; some volunteers serve far more often than others."""
        rng = self.rng
        weights = list(itertools.accumulate(rng.choice(ZEAL) for _ in self.volunteers))
        served = [
            household
            for household in self.households
            if household.help_medical or household.category == Category.ELDERLY
        ]
        records = []
        for period, figures in zip(MONTHS, self.figures, strict=True):
            end = month_end(period)
            left = int(figures["volunteer_hours"] * 2)  # half hours
            while left:
                half_hours = rng.choice(SESSION_HALF_HOURS) if left > 8 else left
                left -= half_hours
                day = _day_between(rng, period, end)
                eligible = bisect.bisect_right(self.registered_on, day)
                pick = bisect.bisect_right(weights, rng.random() * weights[eligible - 1])
                activity, for_household = rng.choice(ACTIVITIES)
                records.append(
                    ServiceRecord(
                        volunteer=self.volunteers[min(pick, eligible - 1)],
                        served_on=day,
                        hours=Decimal(half_hours) / 2,
                        activity=activity,
                        household=rng.choice(served) if for_household and served else None,
                        recorded_by=self.by,
                    )
                )
        return records

    def top_resident(self, day: datetime.date) -> Volunteer:
        """The resident volunteer with the most hours deposited by `day`."""
        hours = Counter()
        for record in self.records:
            if record.served_on <= day and record.volunteer.kind == Kind.RESIDENT:
                hours[record.volunteer.pk] += record.hours
        best = max(hours.items(), key=lambda item: (item[1], -item[0]))[0]
        return next(volunteer for volunteer in self.volunteers if volunteer.pk == best)
