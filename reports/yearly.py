"""The yearly report on community building (年度社区建设工作报告) and the statistics bulletin
(统计公报), as documents (chunan_community.documents) the reports pages show, print,
export and publish.

The yearly report covers the county (tables by township, with the county's total) or one
township (tables by community, with the township's total), in eight sections: the register,
governance, facilities and space, ratings and honours, admission decisions, the monthly
returns' indicators with the year before, volunteers and the time bank, co-building. The
bulletin is the county's figures alone, from the same reads, in fewer sections and without
the name of a person.

Every figure is counted by the rule of the page that shows it elsewhere: the indicators as
the aggregates report counts them (communities.returns.reports.year_totals), the space
standard by `CommunityQuerySet.with_space_standard`, the hours of service as the hours
report (services.reports.counted_records). The figures are read once (reports.yearly_figures),
each read a row per area in the database: 23 queries whatever the number of communities,
returns or records (one more when a stock has a figure left blank in a counted return, two
more for each derived indicator whose two figures are not always reported together:
year_totals). Here they are laid out in sections: sentences with the key figures, tables
numbered 表1, 表2 …, the total row strong, tables counting sample data marked.
"""

import datetime
from collections import defaultdict
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from chunan_community.charts import format_number
from chunan_community.documents import Document, Section, Table, Value
from chunan_community.figures import Percent
from communities.models import (
    GovernanceBody,
    Honour,
    Ratio,
    Township,
)
from communities.returns.pivot import Cell
from communities.returns.reports import (
    REPORTED_BASIS,
    ratio_formula,
)
from ratings.models import Tier
from reports.yearly_figures import (
    FACILITY_KINDS,
    FUNDS_INDICATOR,
    Figures,
    Scope,
    read_figures,
    total,
)
from services.models import Commendation
from services.reports import HOURS_RECORDED_BASIS

BODY_KINDS = list(GovernanceBody.Kind)
TIERS = list(Tier)
HONOUR_LEVELS = list(Honour.Level)
ZERO = Decimal(0)


def change(value, previous) -> tuple[Decimal | None, Decimal | None]:
    """The change on the year before and in per cent of it (communities.returns.pivot's
    rule, as the cross-indicator table shows it)."""
    cell = Cell(
        None if value is None else Decimal(value), None if previous is None else Decimal(previous)
    )
    return cell.change, cell.change_percent


def number(value) -> str:
    """A figure in running text: 1,234; 12.5; — for none."""
    return format_number(value)


# ---------------------------------------------------------------------------- writing


class Writer:
    """Builds the sections from the figures: numbers the tables (表1, 表2 …), marks those
    that count sample data and remembers whether any does."""

    def __init__(self, figures: Figures, today: datetime.date):
        self.figures = figures
        self.scope = figures.scope
        self.today = today
        self.has_sample = False
        self.count = 0

    def table(
        self,
        title: str,
        columns: list[str],
        rows: list[list[Value]],
        *,
        labels: int = 1,
        strong: Iterable[int] = (),
        note: str = "",
        sample: bool = False,
    ) -> Table:
        self.count += 1
        if sample:
            self.has_sample = True
            title = _("%(title)s [%(badge)s]") % {"title": title, "badge": _("Sample data")}
        return Table(
            title=_("Table %(number)s %(title)s") % {"number": self.count, "title": title},
            columns=[str(column) for column in columns],
            rows=rows,
            labels=labels,
            strong=list(strong),
            note=note,
        )

    def area_table(
        self,
        title: str,
        columns: list[str],
        cells: Callable[[int | None], list[Value]],
        *,
        totals: list[Value] | None = None,
        note: str = "",
        sample: bool = False,
        extra: Iterable[list[Value]] = (),
    ) -> Table:
        """A row per area (`cells(area id)`), then the total row: `totals`, or each
        column's sum. `extra` rows follow the total (e.g. the shares)."""
        rows = [[area.label, *cells(area.key)] for area in self.figures.areas]
        if totals is None:
            totals = [total(row[n] for row in rows) for n in range(1, len(columns) + 1)]
        rows.append([self.scope.total_label, *totals])
        strong = [len(rows) - 1]
        rows.extend(extra)
        return self.table(
            title,
            [self.area_column(), *columns],
            rows,
            strong=strong,
            note=note,
            sample=sample,
        )

    def area_column(self) -> str:
        return _("Township") if self.scope.county else _("Community")


# ---------------------------------------------------------------------------- sections


def registry_section(w: Writer, *, county_only: bool = False) -> Section:
    f, scope = w.figures, w.scope
    reg = f.registry
    communities = f.registry_sum("communities") or 0
    sample = bool(f.registry_sum("samples")) or any(
        row["samples"] for row in f.restructured.values()
    )
    paragraphs = [
        ngettext(
            "%(area)s has %(communities)s community at the end of %(year)s, with "
            "%(households)s households and %(residents)s residents in the register.",
            "%(area)s has %(communities)s communities at the end of %(year)s, with "
            "%(households)s households and %(residents)s residents in the register.",
            communities,
        )
        % {
            "area": scope.whole,
            "communities": number(communities),
            "year": scope.year,
            "households": number(f.registry_sum("households") or 0),
            "residents": number(f.registry_sum("residents") or 0),
        },
        _(
            "Communities founded in %(year)s: %(founded)s; restructurings that took effect: "
            "%(restructurings)s, regrouping %(areas)s former residential areas."
        )
        % {
            "year": scope.year,
            "founded": number(f.registry_sum("founded") or 0),
            "restructurings": number(f.restructurings["restructurings"]),
            "areas": number(f.restructurings["former_areas"]),
        },
    ]

    def cells(key):
        row, formed = reg.get(key, {}), f.restructured.get(key, {})
        return [
            row.get("communities", 0),
            row.get("households") or 0,
            row.get("residents") or 0,
            row.get("founded", 0),
            formed.get("restructurings", 0),
            formed.get("former_areas", 0),
        ]

    note = _(
        "Communities: those founded by the year's end and active on %(date)s (the register "
        "keeps no date of a merger or dissolution). Households and residents: the community "
        "register's figures on %(date)s, as each community's profile and the space standard "
        "show them, not the monthly returns (their year-end figures are among the "
        "indicators). Founded in the year: by the year in the register, merged ones "
        "included."
    ) % {"date": date_format(w.today, "DATE_FORMAT")}
    title = _("Communities, households and residents, %(year)s") % {"year": scope.year}
    if county_only:
        table = w.table(
            title,
            [_("Item"), str(scope.year)],
            [
                [_("Number of communities"), communities],
                [_("Households (户)"), f.registry_sum("households") or 0],
                [_("Residents (人)"), f.registry_sum("residents") or 0],
                [_("Communities founded in the year"), f.registry_sum("founded") or 0],
                [_("Restructurings in the year"), f.restructurings["restructurings"]],
                [_("Former residential areas regrouped"), f.restructurings["former_areas"]],
            ],
            note=note,
            sample=sample,
        )
        return Section(_("Communities and their register"), paragraphs, [table])
    sums = [total(cells(key)[n] for key in f.keys) for n in range(4)]
    table = w.area_table(
        title,
        [
            _("Number of communities"),
            _("Households (户)"),
            _("Residents (人)"),
            _("Founded in the year"),
            _("Restructurings in the year"),
            _("Former residential areas regrouped"),
        ],
        cells,
        totals=[*sums, f.restructurings["restructurings"], f.restructurings["former_areas"]],
        note=note
        + " "
        + _(
            "A restructuring that formed communities in two rows counts in each, once in the total."
        ),
        sample=sample,
    )
    return Section(_("Communities and their register"), paragraphs, [table])


def governance_section(w: Writer) -> Section:
    f, scope = w.figures, w.scope
    elections = sum(row["n"] for row in f.elections.values())
    due = sum(row["due"] for row in f.terms.values())
    overdue = sum(row["overdue"] for row in f.terms.values())
    bodies = sum(f.bodies.values())
    paragraphs = [
        _(
            "Governance bodies of the active communities: %(bodies)s. Term elections held in "
            "%(year)s: %(elections)s; terms ending in %(next)s: %(due)s; terms ended by the "
            "year's end with no successor recorded: %(overdue)s."
        )
        % {
            "bodies": number(bodies),
            "year": scope.year,
            "elections": number(elections),
            "next": scope.year + 1,
            "due": number(due),
            "overdue": number(overdue),
        }
    ]

    def cells(key):
        terms = f.terms.get(key, {})
        kinds = [f.bodies.get((key, kind), 0) for kind in BODY_KINDS]
        return [
            *kinds,
            f.elections.get(key, {}).get("n", 0),
            terms.get("due", 0),
            terms.get("overdue", 0),
            sum(kinds) - terms.get("bodies", 0),
        ]

    table = w.area_table(
        _("Governance bodies and term elections, %(year)s") % {"year": scope.year},
        [
            *[kind.label for kind in BODY_KINDS],
            _("Elections held in the year"),
            _("Terms ending next year"),
            _("Terms overdue"),
            _("Bodies with no term recorded"),
        ],
        cells,
        note=_(
            "Bodies of the communities active on %(date)s. A body's term at the year's end is "
            "its latest term begun by then; overdue: that term had ended by the year's end. "
            "Elections held: terms elected in the year."
        )
        % {"date": date_format(w.today, "DATE_FORMAT")},
        sample=any(row["samples"] for row in f.elections.values()),
    )
    return Section(_("Governance"), paragraphs, [table])


def facilities_section(w: Writer, *, county_only: bool = False) -> Section:
    f, scope = w.figures, w.scope
    communities = f.registry_sum("communities") or 0
    complete = f.registry_sum("complete") or 0
    below = f.registry_sum("below") or 0
    shortfall = f.registry_sum("shortfall") or ZERO
    sample = bool(f.registry_sum("samples"))
    paragraphs = [
        _(
            "Communities with all nine standard facilities (五室二站一校一场所): %(complete)s "
            "of %(communities)s (%(share)s)."
        )
        % {
            "complete": number(complete),
            "communities": number(communities),
            "share": Percent(complete, communities),
        },
        _(
            "Communities below the space standard of 20 m² per 100 households: %(below)s; "
            "space missing: %(shortfall)s m²."
        )
        % {"below": number(below), "shortfall": number(shortfall)},
    ]
    kind_counts = {
        kind: sum(f.facilities.get((key, kind), 0) for key in f.keys) for kind in FACILITY_KINDS
    }
    if county_only:
        rows = [
            [kind.label, kind_counts[kind], Percent(kind_counts[kind], communities)]
            for kind in FACILITY_KINDS
        ]
        rows.append([_("All nine"), complete, Percent(complete, communities)])
        facilities = w.table(
            _("Communities with each standard facility, %(year)s") % {"year": scope.year},
            [_("Facility"), _("Number of communities"), _("Share of the communities")],
            [[str(row[0]), *row[1:]] for row in rows],
        )
        space = w.table(
            _("The space standard, %(year)s") % {"year": scope.year},
            [_("Item"), str(scope.year)],
            [
                [_("Number of communities"), communities],
                [_("Premises (m²)"), f.registry_sum("premises") or ZERO],
                [_("Premises required (m²)"), f.registry_sum("required") or ZERO],
                [_("Communities below the standard"), below],
                [_("Space missing (m²)"), shortfall],
            ],
            sample=sample,
        )
        return Section(_("Facilities and space"), paragraphs, [facilities, space])

    def facility_cells(key):
        return [
            f.registry.get(key, {}).get("communities", 0),
            *[f.facilities.get((key, kind), 0) for kind in FACILITY_KINDS],
            f.registry.get(key, {}).get("complete", 0),
        ]

    sums = [total(facility_cells(key)[n] for key in f.keys) or 0 for n in range(11)]
    share = [_("Share of the communities"), None] + [Percent(count, sums[0]) for count in sums[1:]]
    facilities = w.area_table(
        _("Communities with each standard facility, %(year)s") % {"year": scope.year},
        [_("Number of communities"), *[kind.label for kind in FACILITY_KINDS], _("All nine")],
        facility_cells,
        totals=sums,
        extra=[share],
        note=_("Facilities present in the active communities' records on %(date)s.")
        % {"date": date_format(w.today, "DATE_FORMAT")},
    )

    def space_cells(key):
        row = f.registry.get(key, {})
        return [
            row.get("households") or 0,
            row.get("premises") or ZERO,
            row.get("required") or ZERO,
            row.get("below", 0),
            row.get("shortfall") or ZERO,
        ]

    space = w.area_table(
        _("The space standard (20 m² per 100 households), %(year)s") % {"year": scope.year},
        [
            _("Households (户)"),
            _("Premises (m²)"),
            _("Premises required (m²)"),
            _("Communities below the standard"),
            _("Space missing (m²)"),
        ],
        space_cells,
        note=_(
            "As the space-standard list counts it: premises of at least 20 m² for every 100 "
            "households of the register, on %(date)s; space missing sums the shortfalls of "
            "the communities below the standard."
        )
        % {"date": date_format(w.today, "DATE_FORMAT")},
        sample=sample,
    )
    return Section(_("Facilities and space"), paragraphs, [facilities, space])


def ratings_section(w: Writer, *, county_only: bool = False) -> Section:
    f, scope = w.figures, w.scope
    tiers = {tier: sum(f.tiers.get((key, tier), 0) for key in f.keys) for tier in TIERS}
    levels = {level: sum(1 for h in f.honours if h.level == level) for level in HONOUR_LEVELS}
    kinds = {kind: sum(1 for c in f.commendations if c.kind == kind) for kind in Commendation.Kind}
    if f.rounds:
        rated = _(
            "Confirmed in %(year)s: %(rounds)s. Normative communities: %(normative)s; star "
            "communities: %(star)s; garden communities: %(garden)s."
        ) % {
            "year": scope.year,
            "rounds": _(", ").join(round_.name for round_ in f.rounds),
            "normative": number(tiers[Tier.NORMATIVE]),
            "star": number(tiers[Tier.STAR]),
            "garden": number(tiers[Tier.GARDEN]),
        }
    else:
        rated = _("No rating round was confirmed in %(year)s.") % {"year": scope.year}
    paragraphs = [
        rated,
        _(
            "Honours of %(year)s: %(honours)s; advanced collectives commended: %(collectives)s; "
            "advanced individuals commended: %(individuals)s."
        )
        % {
            "year": scope.year,
            "honours": number(len(f.honours)),
            "collectives": number(kinds[Commendation.Kind.COLLECTIVE]),
            "individuals": number(kinds[Commendation.Kind.INDIVIDUAL]),
        },
    ]
    commendation_sample = any(c.is_sample for c in f.commendations)
    if county_only:
        rows = [[str(tier.label), tiers[tier]] for tier in TIERS]
        rows += [
            [_("Honours: %(level)s") % {"level": level.label}, levels[level]]
            for level in HONOUR_LEVELS
        ]
        rows += [[str(kind.label), kinds[kind]] for kind in Commendation.Kind]
        table = w.table(
            _("Ratings, honours and commendations, %(year)s") % {"year": scope.year},
            [_("Item"), str(scope.year)],
            rows,
            sample=commendation_sample,
        )
        return Section(_("Ratings, honours and commendations"), paragraphs, [table])

    def tier_cells(key):
        counts = [f.tiers.get((key, tier), 0) for tier in TIERS]
        return [*counts, sum(counts)]

    tables = [
        w.area_table(
            _("Communities by the tier confirmed in %(year)s") % {"year": scope.year},
            [*[tier.label for tier in TIERS], _("Rated in all")],
            tier_cells,
            note=_(
                "The ratings of the rounds confirmed in the year, less those revoked by the "
                "year's end."
            ),
        )
    ]
    by_level: dict[tuple[int, str], int] = defaultdict(int)
    for honour in f.honours:
        key = honour.community.township_id if scope.county else honour.community_id
        by_level[key, honour.level] += 1

    def honour_cells(key):
        counts = [by_level.get((key, level), 0) for level in HONOUR_LEVELS]
        return [*counts, sum(counts)]

    tables.append(
        w.area_table(
            _("Honours of %(year)s by level") % {"year": scope.year},
            [*[level.label for level in HONOUR_LEVELS], _("In all")],
            honour_cells,
        )
    )
    if f.honours:
        places = [[h.community.township.local_name] if scope.county else [] for h in f.honours]
        tables.append(
            w.table(
                _("Honours of %(year)s") % {"year": scope.year},
                [
                    *([_("Township")] if scope.county else []),
                    _("Community"),
                    _("Honour"),
                    _("Level"),
                    _("Awarding body"),
                ],
                [
                    [
                        *place,
                        h.community.local_name,
                        h.title,
                        str(h.get_level_display()),
                        h.awarding_body,
                    ]
                    for place, h in zip(places, f.honours, strict=True)
                ],
                labels=2 if scope.county else 1,
            )
        )
    if f.commendations:
        tables.append(
            w.table(
                _("Commendations of %(year)s") % {"year": scope.year},
                [_("Kind"), _("Name"), _("Title"), _("Community")],
                [
                    [
                        str(c.get_kind_display()),
                        c.name,
                        c.title,
                        c.community.local_name if c.community else "",
                    ]
                    for c in f.commendations
                ],
                labels=2,
                sample=commendation_sample,
            )
        )
    return Section(_("Ratings, honours and commendations"), paragraphs, tables)


def admissions_section(w: Writer) -> Section:
    f, scope = w.figures, w.scope
    approved = sum(row["approved"] for row in f.admissions)
    refused = sum(row["refused"] for row in f.admissions)
    paragraphs = [
        _(
            "Requests for community admission (社区准入) decided in %(year)s: %(decided)s, "
            "%(approved)s approved and %(refused)s refused."
        )
        % {
            "year": scope.year,
            "decided": number(approved + refused),
            "approved": number(approved),
            "refused": number(refused),
        }
    ]
    names = ("approved", "refused", "funds_follow", "staff_follow", "authority_follow", "funds")
    rows = [
        [
            row["department"],
            *[row[name] if name != "funds" else row[name] or ZERO for name in names],
        ]
        for row in f.admissions
    ]
    rows.append([_("Total"), *[total(row[n] for row in rows) or 0 for n in range(1, 7)]])
    note = _(
        "By the day of the decision. Funds, staff, authority follow: approved requests whose "
        "work takes its funds (费随事转), staff (人随事转) or authority (权随事转) with it."
    )
    if not scope.county:
        note += " " + _("Requests concerning at least one community of the township.")
    table = w.table(
        _("Admission requests decided in %(year)s, by department") % {"year": scope.year},
        [
            _("Department"),
            _("Requests approved"),
            _("Requests refused"),
            _("Funds follow"),
            _("Staff follow"),
            _("Authority follows"),
            _("Funds of the approved (yuan)"),
        ],
        rows,
        strong=[len(rows) - 1],
        note=note,
        sample=any(row["samples"] for row in f.admissions),
    )
    return Section(_("Community admission"), paragraphs, [table])


def _rule(measure) -> str:
    if isinstance(measure, Ratio):
        return _("Derived")
    return _("Stock") if measure.is_stock else _("Flow")


def owed_for(f: Figures, indicator) -> int:
    """The returns owed for the months the indicator was in force in the year."""
    return sum(
        n
        for month, n in f.owed.items()
        if indicator.active_from <= month
        and (indicator.active_to is None or month <= indicator.active_to)
    )


def indicators_section(w: Writer, *, county_only: bool = False) -> Section:
    f, scope = w.figures, w.scope
    totals = f.totals
    keys = f.keys
    year, previous = scope.year, scope.year - 1
    rows = []
    for indicator in f.indicators:
        now = totals.total(year, indicator.pk, keys)
        before = totals.total(previous, indicator.pk, keys)
        rows.append(
            [
                indicator.group.local_name,
                indicator.local_name,
                indicator.unit,
                _rule(indicator),
                now.total,
                before.total,
                *change(now.total, before.total),
                now.reported,
                owed_for(f, indicator),
            ]
        )
    for ratio in f.ratios:
        now, before = totals.ratio(ratio, year, keys), totals.ratio(ratio, previous, keys)
        rows.append(
            [
                ratio.group.local_name,
                ratio.local_name,
                ratio.unit,
                _rule(ratio),
                now,
                before,
                *change(now, before),
                None,
                None,
            ]
        )
    reported = totals.returns.get(year, 0)
    owed = sum(f.owed.values())
    paragraphs = [
        _(
            "The catalogue in force in %(year)s has %(indicators)s indicators and %(ratios)s "
            "derived indicators. Monthly returns counted: %(reported)s of the %(owed)s the "
            "active communities owe for the year (%(share)s)."
        )
        % {
            "year": year,
            "indicators": number(len(f.indicators)),
            "ratios": number(len(f.ratios)),
            "reported": number(reported),
            "owed": number(owed),
            "share": Percent(min(reported, owed), owed),
        }
    ]
    if reported < owed:
        paragraphs.append(
            _(
                "The year's figures are partial: compare the returns with a figure with those "
                "owed, indicator by indicator."
            )
        )
    formulas = "; ".join(f"{ratio.local_name} = {ratio_formula(ratio)}" for ratio in f.ratios)
    note = _(
        "Counted: the figures of the submitted, approved and accepted returns, as the "
        "aggregates report counts them by default; drafts and returns sent back are not "
        "counted. Flow: the sum of the year's months; stock: each community's latest counted "
        "month of the year, summed; derived: the ratio of its two indicators' totals over the "
        "returns holding both, never the mean of the communities' ratios. The change in per "
        "cent is of the year before's figure. Returns with a figure, of those owed: the "
        "returns counted that hold a figure, of those the active communities owe for the "
        "months the indicator was in force; fewer means a partial year, its figures below the "
        "real ones."
    )
    if formulas:
        note += " " + _("Derived indicators: %(formulas)s.") % {"formulas": formulas}
    note += " " + str(REPORTED_BASIS)
    tables = [
        w.table(
            _("Indicators of the monthly returns, %(year)s and %(previous)s")
            % {"year": year, "previous": previous},
            [
                _("Group"),
                _("Indicator"),
                _("Unit"),
                _("Rule"),
                str(year),
                str(previous),
                _("Change"),
                _("Change (%)"),
                _("Returns with a figure"),
                _("Returns owed"),
            ],
            rows,
            labels=4,
            note=note,
            sample=totals.has_sample,
        )
    ]
    if not county_only:
        tables += indicator_area_tables(w)
    return Section(_("Indicators of the monthly returns"), paragraphs, tables)


def indicator_area_tables(w: Writer) -> list[Table]:
    """The year's figure of each indicator and derived indicator by area: a table per
    group of the catalogue."""
    f, scope = w.figures, w.scope
    totals = f.totals
    groups: dict[int, list] = {}
    for measure in [*f.indicators, *f.ratios]:
        groups.setdefault(measure.group_id, []).append(measure)

    def figure(measure, keys):
        if isinstance(measure, Ratio):
            return totals.ratio(measure, scope.year, keys)
        return totals.total(scope.year, measure.pk, keys).total

    title = (
        _("%(group)s by township, %(year)s")
        if scope.county
        else _("%(group)s by community, %(year)s")
    )
    tables = []
    for measures in sorted(
        groups.values(), key=lambda ms: (ms[0].group.sort_order, ms[0].group.code)
    ):
        tables.append(
            w.area_table(
                title % {"group": measures[0].group.local_name, "year": scope.year},
                [
                    _("%(indicator)s (%(unit)s)") % {"indicator": m.local_name, "unit": m.unit}
                    if m.unit
                    else m.local_name
                    for m in measures
                ],
                lambda key, measures=measures: [figure(m, [key]) for m in measures],
                totals=[figure(m, f.keys) for m in measures],
                sample=totals.has_sample,
            )
        )
    return tables


def volunteers_section(w: Writer, *, county_only: bool = False) -> Section:
    f, scope = w.figures, w.scope
    year, previous = scope.year, scope.year - 1
    volunteers = {
        name: sum(row[name] for row in f.volunteers.values())
        for name in ("n", "party", "league", "new", "samples")
    }
    ledger = {
        name: total(row[name] for row in f.ledger.values()) or ZERO
        for name in ("deposited", "drawn", "adjusted", "balance")
    }
    hours_now = total(h for (y, _key), h in f.hours.items() if y == year) or ZERO
    hours_before = total(h for (y, _key), h in f.hours.items() if y == previous) or ZERO
    sample = (
        bool(volunteers["samples"])
        or f.hours_sample
        or any(row["samples"] for row in f.ledger.values())
    )
    paragraphs = [
        _(
            "Volunteers registered by the end of %(year)s: %(volunteers)s, of whom %(party)s "
            "in-service Party members and %(league)s school League members reporting; "
            "%(new)s registered in the year."
        )
        % {
            "year": year,
            "volunteers": number(volunteers["n"]),
            "party": number(volunteers["party"]),
            "league": number(volunteers["league"]),
            "new": number(volunteers["new"]),
        },
        _(
            "Hours of volunteer service recorded: %(hours)s in %(year)s, %(before)s in "
            "%(previous)s. Time-bank balances at the year's end: %(balance)s hours."
        )
        % {
            "hours": number(hours_now),
            "year": year,
            "before": number(hours_before),
            "previous": previous,
            "balance": number(ledger["balance"]),
        },
    ]
    note = (
        _(
            "Figures only, never a person. Volunteers of the communities active on %(date)s. "
            "Time bank: the lines dated in the year (deposits, draws, adjustments) and the "
            "balance of every line dated by the year's end."
        )
        % {"date": date_format(w.today, "DATE_FORMAT")}
        + " "
        + str(HOURS_RECORDED_BASIS)
    )
    _change, hours_percent = change(hours_now, hours_before)
    if county_only:
        rows = [
            [_("Volunteers registered"), volunteers["n"]],
            [_("In-service Party members reporting"), volunteers["party"]],
            [_("School League members reporting"), volunteers["league"]],
            [_("Registered in the year"), volunteers["new"]],
            [_("Hours of service, %(year)s") % {"year": year}, hours_now],
            [_("Hours of service, %(year)s") % {"year": previous}, hours_before],
            [_("Change in the hours of service (%)"), hours_percent],
            [_("Time bank: hours deposited in the year"), ledger["deposited"]],
            [_("Time bank: hours drawn in the year"), -ledger["drawn"]],
            [_("Time bank: balances at the year's end (hours)"), ledger["balance"]],
        ]
        table = w.table(
            _("Volunteers and the time bank, %(year)s") % {"year": year},
            [_("Item"), str(scope.year)],
            rows,
            note=note,
            sample=sample,
        )
        return Section(_("Volunteers and the time bank"), paragraphs, [table])

    def cells(key):
        row, lines = f.volunteers.get(key, {}), f.ledger.get(key, {})
        return [
            row.get("n", 0),
            row.get("party", 0),
            row.get("league", 0),
            row.get("new", 0),
            f.hours.get((year, key), ZERO),
            f.hours.get((previous, key), ZERO),
            lines.get("deposited") or ZERO,
            -(lines.get("drawn") or ZERO),
            lines.get("adjusted") or ZERO,
            lines.get("balance") or ZERO,
        ]

    table = w.area_table(
        _("Volunteers, hours of service and the time bank, %(year)s") % {"year": year},
        [
            _("Volunteers registered"),
            _("Party members reporting"),
            _("League members reporting"),
            _("Registered in the year"),
            _("Hours of service, %(year)s") % {"year": year},
            _("Hours of service, %(year)s") % {"year": previous},
            _("Hours deposited"),
            _("Hours drawn"),
            _("Adjustments (hours)"),
            _("Balances at the year's end (hours)"),
        ],
        cells,
        note=note,
        sample=sample,
    )
    return Section(_("Volunteers and the time bank"), paragraphs, [table])


def cobuilding_section(w: Writer, *, county_only: bool = False) -> Section:
    f, scope = w.figures, w.scope
    year, previous = scope.year, scope.year - 1
    funds = next((i for i in f.indicators if i.code == FUNDS_INDICATOR), None)
    pairings = sum(row["pairings"] for row in f.pairings.values())
    new = sum(row["new"] for row in f.pairings.values())
    sample = any(row["samples"] for row in f.pairings.values())
    now = before = None
    if funds is not None:
        found = f.totals.total(year, funds.pk, f.keys)
        now, before = found.total, f.totals.total(previous, funds.pk, f.keys).total
        sample = sample or (now is not None and f.totals.has_sample)
    if now is None:
        funds_text = _("No co-building funds were reported in %(year)s.") % {"year": year}
    elif before is None:
        funds_text = _("Co-building funds reported in %(year)s: %(funds)s yuan.") % {
            "year": year,
            "funds": number(now),
        }
    else:
        funds_text = _(
            "Co-building funds reported in %(year)s: %(funds)s yuan, against %(before)s yuan "
            "in %(previous)s."
        ) % {"year": year, "funds": number(now), "before": number(before), "previous": previous}
    paragraphs = [
        funds_text,
        _(
            "Co-building units paired with the communities at the year's end: %(units)s, in "
            "%(pairings)s pairings, %(new)s of them begun in the year."
        )
        % {"units": number(f.units), "pairings": number(pairings), "new": number(new)},
    ]
    note = _(
        "Funds: the indicator “%(indicator)s” of the monthly returns, summed over the year's "
        "counted returns (as the aggregates report sums it). Pairings in force at the "
        "year's end, of the communities active on %(date)s; a unit paired in two rows counts "
        "once in the total."
    ) % {
        "indicator": funds.local_name if funds else FUNDS_INDICATOR,
        "date": date_format(w.today, "DATE_FORMAT"),
    }
    funds_change, funds_percent = change(now, before)
    if county_only:
        table = w.table(
            _("Co-building, %(year)s") % {"year": year},
            [_("Item"), str(scope.year)],
            [
                [_("Co-building funds, %(year)s (yuan)") % {"year": year}, now],
                [_("Co-building funds, %(year)s (yuan)") % {"year": previous}, before],
                [_("Change (%)"), funds_percent],
                [_("Co-building units"), f.units],
                [_("Pairings"), pairings],
                [_("Pairings begun in the year"), new],
            ],
            note=note,
            sample=sample,
        )
        return Section(_("Co-building"), paragraphs, [table])

    def cells(key):
        row = f.pairings.get(key, {})
        this = before_ = None
        if funds is not None:
            this = f.totals.total(year, funds.pk, [key]).total
            before_ = f.totals.total(previous, funds.pk, [key]).total
        return [
            this,
            before_,
            change(this, before_)[0],
            row.get("units", 0),
            row.get("pairings", 0),
            row.get("new", 0),
        ]

    sums = [now, before, funds_change, f.units, pairings, new]
    table = w.area_table(
        _("Co-building funds and pairings, %(year)s") % {"year": year},
        [
            _("Funds, %(year)s (yuan)") % {"year": year},
            _("Funds, %(year)s (yuan)") % {"year": previous},
            _("Change (yuan)"),
            _("Co-building units"),
            _("Pairings"),
            _("Pairings begun in the year"),
        ],
        cells,
        totals=sums,
        note=note,
        sample=sample,
    )
    return Section(_("Co-building"), paragraphs, [table])


# ---------------------------------------------------------------------------- documents


def issuer(scope: Scope) -> str:
    """Who issues the report: the county's civil-affairs bureau, or the township's
    government (a town or a township) or its subdistrict office."""
    if scope.county:
        return _("Chun'an County Civil Affairs Bureau")
    if scope.township.kind == Township.Kind.SUBDISTRICT:
        return _("%(township)s Office") % {"township": scope.township.local_name}
    return _("%(township)s People's Government") % {"township": scope.township.local_name}


def sample_notes(w: Writer) -> list[str]:
    if not w.has_sample:
        return []
    return [
        _(
            "Figures marked “%(badge)s” are invented for demonstration and are not official "
            "statistics."
        )
        % {"badge": _("Sample data")}
    ]


def yearly_report(*, year: int, township: Township | None = None, today: datetime.date) -> Document:
    """The yearly report on community building of the county (tables by township) or of
    one township (tables by community) for `year`, dated `today`, in the active language.
    A fixed number of queries whatever the data size (read_figures)."""
    scope = Scope(year, township)
    w = Writer(read_figures(scope), today)
    sections = [
        registry_section(w),
        governance_section(w),
        facilities_section(w),
        ratings_section(w),
        admissions_section(w),
        indicators_section(w),
        volunteers_section(w),
        cobuilding_section(w),
    ]
    return Document(
        title=_("%(area)s: report on community building, %(year)s")
        % {"area": scope.name, "year": year},
        issuer=issuer(scope),
        date=today,
        sections=sections,
        scope=scope.name,
        notes=sample_notes(w),
        has_sample=w.has_sample,
    )


def statistics_bulletin(*, year: int, today: datetime.date) -> Document:
    """The county's statistics bulletin on community building (统计公报) for `year`, dated
    `today`: the county's figures only, never a person's name, in short sections of the
    yearly report's figures (the same reads), with the definitions at the end."""
    scope = Scope(year)
    figures = read_figures(scope)
    w = Writer(figures, today)
    sections = [
        registry_section(w, county_only=True),
        facilities_section(w, county_only=True),
        ratings_section(w, county_only=True),
        indicators_section(w, county_only=True),
        volunteers_section(w, county_only=True),
        cobuilding_section(w, county_only=True),
    ]
    notes = [
        _(
            "Definitions (统计口径): communities, households and residents are those of the "
            "community register on %(date)s; the indicators count the submitted, approved "
            "and accepted monthly returns (a flow summed over the year, a stock each "
            "community's latest month, a derived indicator the ratio of the totals); hours "
            "of service are those recorded in the portal."
        )
        % {"date": date_format(today, "DATE_FORMAT")}
    ]
    reported = figures.totals.returns.get(year, 0)
    owed = sum(figures.owed.values())
    if reported < owed:
        notes.append(
            _(
                "The figures of %(year)s are provisional: %(reported)s of the %(owed)s monthly "
                "returns owed had been counted on %(date)s."
            )
            % {
                "year": year,
                "reported": number(reported),
                "owed": number(owed),
                "date": date_format(today, "DATE_FORMAT"),
            }
        )
    notes += sample_notes(w)
    return Document(
        title=_("Chun'an County statistics bulletin on community building, %(year)s")
        % {"year": year},
        issuer=issuer(scope),
        date=today,
        sections=sections,
        scope=scope.name,
        notes=notes,
        has_sample=w.has_sample,
    )
