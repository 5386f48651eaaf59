"""`manage.py load_chunan [--demo-accounts]`: Chun'an's registry, from the county speech.

Each row is found by its natural key (a code, a name, a community and a kind ...) and then:
the speech's facts are asserted on every run; values the speech does not give (invented sample
figures, an honour's unknown year) are written only when the row is created, so whatever a
person enters later is kept. A row is saved only when something differs, because
django-simple-history records every save(): a second run writes nothing and adds no history.
Nothing is ever deleted.
"""

import datetime
import enum
from collections import Counter
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import UniqueConstraint
from django.utils.translation import gettext as _

from communities import chunan_facts as data
from communities.models import (
    CoBuildingPairing,
    CoBuildingUnit,
    Community,
    Facility,
    FacilityKind,
    Formation,
    FormerArea,
    GovernanceBody,
    Honour,
    PartyBranch,
    Restructuring,
    Term,
    Township,
    UserScope,
)

CHANGE_REASON = "load_chunan"


def _years_later(day: datetime.date, years: int) -> datetime.date:
    return day.replace(year=day.year + years)


class Loader:
    """Finds or creates rows by natural key and keeps created/updated/unchanged tallies.

    A model is always looked up by the same key fields: the first lookup reads its rows.
    """

    def __init__(self):
        self.tally = Counter()
        self.by_model = {}
        self._rows = {}
        self._password_checks = {}
        self._demo_hash = None

    def put(self, model, key: dict, *, facts: dict | None = None, initial: dict | None = None):
        """The row of `model` with this natural key, created or brought in line with `facts`.

        `initial` holds what is set only on creation: invented values and unknowns.
        """
        facts = facts or {}
        row = self.find(model, key)
        if row is None:
            row = model(**key, **{**(initial or {}), **facts})
            outcome = "created"
            self._rows[model][_row_key(model, key)] = row
        else:
            changed = {
                name: value
                for name, value in facts.items()
                if getattr(row, _attname(model, name)) != _raw(model, name, value)
            }
            for name, value in changed.items():
                setattr(row, name, value)
            outcome = "updated" if changed else "unchanged"
        if outcome != "unchanged":
            self._save(row, key)
        self.tally[outcome] += 1
        self.by_model.setdefault(str(model._meta.verbose_name_plural), Counter())[outcome] += 1
        return row

    def find(self, model, key: dict):
        """The existing row with this natural key, or None."""
        if model not in self._rows:
            # One query per model rather than one per row: the load stays fast.
            rows = {}
            for row in model._default_manager.order_by("pk"):
                row_key = tuple(getattr(row, _attname(model, name)) for name in key)
                rows.setdefault(row_key, row)
            self._rows[model] = rows
        return self._rows[model].get(_row_key(model, key))

    def _save(self, row, key):
        try:
            # Django validates a check constraint with three queries (savepoint, select,
            # release), more than half of the whole load. The database enforces them anyway
            # and they hold for the data module's values; unique constraints are still
            # checked here, for a readable error when a row someone entered clashes.
            row.full_clean(validate_constraints=False)
            for constraint in row._meta.constraints:
                if isinstance(constraint, UniqueConstraint):
                    constraint.validate(type(row), row)
        except ValidationError as error:
            raise CommandError(
                _("Cannot load %(model)s %(key)s: %(errors)s")
                % {"model": row._meta.verbose_name, "key": key, "errors": error.messages}
            ) from error
        row._change_reason = CHANGE_REASON
        row.save()

    def demo_password(self, current: str) -> str:
        """The demo password's hash: the user's own if it already matches, else a fresh one.

        Hashing is deliberately slow; all demo accounts share one hash (the password is
        published anyway), so a run hashes or checks the password once, not once per user.
        """
        if current not in self._password_checks:
            outdated = []
            matches = check_password(data.DEMO_PASSWORD, current, setter=outdated.append)
            self._password_checks[current] = matches and not outdated
        if self._password_checks[current]:
            return current
        if self._demo_hash is None:
            self._demo_hash = make_password(data.DEMO_PASSWORD)
        return self._demo_hash


def _attname(model, name):
    return model._meta.get_field(name).attname


def _raw(model, name, value):
    """What the row stores for `name`: the primary key for a related row, a choice's value."""
    if model._meta.get_field(name).is_relation:
        return value.pk if value is not None else None
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _row_key(model, key: dict) -> tuple:
    return tuple(_raw(model, name, value) for name, value in key.items())


class Command(BaseCommand):
    @property
    def help(self):
        # A property, not a lazy string: argparse needs a real str, in the active language.
        return _(
            "Load Chun'an's townships and communities with their history, governance bodies, "
            "co-building units, honours and facilities: the facts of the county speech, plus "
            "invented figures marked as sample data. Safe to run again."
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--demo-accounts",
            action="store_true",
            help=_(
                "Also create or reset the demonstration accounts demo_county, demo_township, "
                "demo_clerk and demo_judge."
            ),
        )

    def handle(self, *args, demo_accounts=False, **options):
        loader = Loader()
        with transaction.atomic():
            communities = self.load_registry(loader)
            if demo_accounts:
                self.load_demo_accounts(loader, communities)
        if options["verbosity"] == 0:
            return
        if options["verbosity"] >= 2:
            for name, counts in loader.by_model.items():
                self.stdout.write(f"  {name}: " + self._counts(counts))
        self.stdout.write(
            self.style.SUCCESS(_("Chun'an data loaded: %s.") % self._counts(loader.tally))
        )
        if demo_accounts:
            self.stdout.write(
                self.style.WARNING(
                    _(
                        "Demonstration accounts %(users)s, password %(password)s: for "
                        "demonstration only. Never create them on a server that holds real data."
                    )
                    % {
                        "users": ", ".join(a["username"] for a in data.DEMO_ACCOUNTS),
                        "password": data.DEMO_PASSWORD,
                    }
                )
            )

    @staticmethod
    def _counts(counts):
        return _("%(created)d created, %(updated)d updated, %(unchanged)d unchanged") % {
            "created": counts["created"],
            "updated": counts["updated"],
            "unchanged": counts["unchanged"],
        }

    def load_registry(self, loader: Loader) -> dict:
        townships = {
            t["code"]: loader.put(
                Township,
                {"code": t["code"]},
                facts={
                    "name": t["name"],
                    "name_en": t["name_en"],
                    "kind": Township.Kind.TOWN,
                    "sort_order": t["sort_order"],
                },
            )
            for t in data.TOWNSHIPS
        }
        communities = {}
        for c in data.COMMUNITIES:
            households, residents, premises = data.FIGURES[c["code"]]
            communities[c["code"]] = loader.put(
                Community,
                {"code": c["code"]},
                facts={
                    "name": c["name"],
                    "name_en": c["name_en"],
                    "township": townships[c["township"]],
                    "founded_year": c["founded_year"],
                },
                initial={
                    "address": c["address"],
                    "description": c["description"],
                    "households": households,
                    "residents": residents,
                    "premises_area_m2": premises,
                    "figures_are_sample": True,
                },
            )
        self.load_restructuring(loader, townships, communities)
        branches = self.load_governance(loader, communities)
        self.load_co_building(loader, communities, branches)
        for code, title, level in data.HONOURS:
            # The speech gives no years and no awarding bodies: left empty, to be filled in.
            loader.put(Honour, {"community": communities[code], "title": title, "level": level})
        self.load_facilities(loader, communities)
        # The 2008 three-tier rating results (all ten 规范社区; three-star 西园, 南苑, 火炉尖,
        # 江滨, 望湖; four-star 李家坞, 新北, 施家塘) will be loaded here once the ratings app
        # holds rounds and results.
        return communities

    def load_restructuring(self, loader, townships, communities):
        spec = data.RESTRUCTURING_2002
        township = townships[spec["township"]]
        restructuring = loader.put(
            Restructuring,
            {"township": township, "name": spec["name"]},
            facts={"effective_year": spec["effective_year"]},
            initial={"description": spec["description"]},
        )
        areas = {
            name: loader.put(
                FormerArea, {"township": township, "name": name}, initial={"is_sample": True}
            )
            for name in data.FORMER_AREAS
        }
        for code, area_names in data.FORMATIONS.items():
            for name in area_names:
                loader.put(
                    Formation,
                    {
                        "restructuring": restructuring,
                        "former_area": areas[name],
                        "community": communities[code],
                    },
                )

    def load_governance(self, loader, communities) -> dict:
        """Four bodies per community, two terms each, and building-level Party branches."""
        branches = {}
        for code, community in communities.items():
            level = data.PARTY_LEVELS[code]
            party = loader.put(
                GovernanceBody,
                {"community": community, "kind": GovernanceBody.Kind.PARTY},
                initial={
                    "party_level": level,
                    "name": community.name + data.PARTY_NAME_SUFFIXES[level],
                },
            )
            bodies = {GovernanceBody.Kind.PARTY: party}
            for kind, suffix in data.BODY_NAME_SUFFIXES.items():
                bodies[kind] = loader.put(
                    GovernanceBody,
                    {"community": community, "kind": kind},
                    initial={"name": community.name + suffix},
                )
            self.load_terms(loader, code, bodies, level)
            for number, members in enumerate(data.BUILDING_BRANCH_MEMBERS[code], start=1):
                name = f"{community.name}第{data.CHINESE_ORDINALS[number - 1]}楼道党支部"
                branches[code, number] = loader.put(
                    PartyBranch,
                    {"organisation": party, "name": name},
                    initial={"is_building_level": True, "members": members, "is_sample": True},
                )
        return branches

    def load_terms(self, loader, code, bodies, party_level):
        party_start, committee_start, deliberation_start = data.CURRENT_TERM_STARTS[code]
        current_starts = {
            GovernanceBody.Kind.PARTY: party_start,
            GovernanceBody.Kind.ASSEMBLY: committee_start,
            GovernanceBody.Kind.RESIDENTS_COMMITTEE: committee_start,
            GovernanceBody.Kind.DELIBERATION: deliberation_start,
        }
        first_election = data.FIRST_ELECTIONS_2008.get(code)
        for kind, body in bodies.items():
            if kind == GovernanceBody.Kind.PARTY:
                members = data.PARTY_MEMBERS[party_level]
            else:
                members = data.BODY_MEMBERS[kind]
            current = current_starts[kind]
            if first_election:
                previous_number, current_number = data.FOUNDED_2008_TERM_NUMBERS
                previous = first_election
                previous_end = _years_later(previous, data.PREVIOUS_TERM_YEARS)
            else:
                previous_number, current_number = data.QIANDAOHU_TERM_NUMBERS
                previous = _years_later(current, -data.PREVIOUS_TERM_YEARS)
                previous_end = current
            for number, starts_on, ends_on in (
                (previous_number, previous, previous_end),
                (current_number, current, _years_later(current, data.CURRENT_TERM_YEARS)),
            ):
                loader.put(
                    Term,
                    {"body": body, "number": number},
                    initial={
                        "elected_on": starts_on,
                        "starts_on": starts_on,
                        "ends_on": ends_on,
                        "members": members,
                        "is_sample": True,
                    },
                )

    def load_co_building(self, loader, communities, branches):
        units = {
            unit["name"]: loader.put(
                CoBuildingUnit, {"name": unit["name"]}, initial={"kind": unit["kind"]}
            )
            for unit in data.CO_BUILDING_UNITS
        }
        for unit, code, branch_number, started_on, contribution in data.PAIRINGS:
            loader.put(
                CoBuildingPairing,
                {"unit": units[unit], "community": communities[code]},
                initial={
                    "party_branch": branches[code, branch_number] if branch_number else None,
                    "started_on": started_on,
                    "contribution": contribution,
                    "is_sample": True,
                },
            )

    def load_facilities(self, loader, communities):
        for code, community in communities.items():
            missing = data.FACILITIES_MISSING.get(code, ())
            _households, _residents, premises = data.FIGURES[code]
            for kind in FacilityKind:
                present = kind not in missing
                area = data.FACILITY_AREAS_AT_400_M2[kind] * premises / 400
                loader.put(
                    Facility,
                    {"community": community, "kind": kind},
                    facts={"present": True} if kind in data.FACILITIES_EVERYWHERE else None,
                    initial={
                        "present": present,
                        "area_m2": area.quantize(Decimal(1)) if present else None,
                    },
                )

    def load_demo_accounts(self, loader, communities):
        User = get_user_model()
        townships = {t.code: t for t in Township.objects.all()}
        for account in data.DEMO_ACCOUNTS:
            current = loader.find(User, {"username": account["username"]})
            user = loader.put(
                User,
                {"username": account["username"]},
                facts={
                    "password": loader.demo_password(current.password if current else ""),
                    "is_active": True,
                    "is_staff": account["is_staff"],
                    "is_superuser": False,
                },
            )
            township = account.get("township")
            community = account.get("community")
            loader.put(
                UserScope,
                {"user": user},
                facts={
                    "role": account["role"],
                    "township": townships[township] if township else None,
                    "community": communities[community] if community else None,
                },
            )
