"""Loading reference and demonstration data idempotently: `load_chunan`, `load_indicators`.

`Loader.put()` finds a row by its natural key (a code, a name, a community and a kind ...)
and then asserts the `facts` on every run, while `initial` values (invented figures, unknowns,
anything people are expected to edit) are written only when the row is created, so whatever
a person enters later is kept. A row is saved only when something differs, because
django-simple-history records every save(): a second run writes nothing and adds no history.
Nothing is ever deleted.
"""

import enum
from collections import Counter

from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.db.models import UniqueConstraint
from django.utils.translation import gettext as _

from communities.models import Indicator, IndicatorGroup, IndicatorRule, Ratio
from communities.returns import catalogue


class Loader:
    """Finds or creates rows by natural key and keeps created/updated/unchanged tallies.

    A model is always looked up by the same key fields: the first lookup reads its rows.
    `change_reason` is written on the history row of every save.
    """

    def __init__(self, change_reason: str):
        self.change_reason = change_reason
        self.tally = Counter()
        self.by_model = {}
        self._rows = {}
        self._password_checks = {}
        self._hashes = {}

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
        self.count(model, outcome)
        return row

    def count(self, model, outcome: str, number: int = 1):
        """Add to the tallies rows that were written (or left alone) some other way."""
        self.tally[outcome] += number
        self.by_model.setdefault(str(model._meta.verbose_name_plural), Counter())[outcome] += number

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
            # and they hold for the data modules' values; unique constraints are still
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
        row._change_reason = self.change_reason
        row.save()

    def password_hash(self, password: str, current: str) -> str:
        """`password`'s hash: the user's own if it already matches, else a fresh one.

        A matching hash of an older hasher is kept too: Django re-hashes it at the next
        log-in, and a new hash here would be a changed password, which its owner is told of
        (notifications.account_events) on every load after an upgrade.

        Hashing is deliberately slow; accounts given the same password share one hash (the
        demo password is published anyway), so a run hashes or checks it once, not per user.
        """
        if (password, current) not in self._password_checks:
            self._password_checks[password, current] = check_password(password, current)
        if self._password_checks[password, current]:
            return current
        if password not in self._hashes:
            self._hashes[password] = make_password(password)
        return self._hashes[password]


def counts_text(counts) -> str:
    """ "3 created, 1 updated, 40 unchanged", for a command's summary line."""
    return _("%(created)d created, %(updated)d updated, %(unchanged)d unchanged") % {
        "created": counts["created"],
        "updated": counts["updated"],
        "unchanged": counts["unchanged"],
    }


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


def load_catalogue(loader: Loader) -> dict[str, Indicator]:
    """The default indicator catalogue (communities.returns.catalogue): code → Indicator.

    Everything is `initial`: county staff keep the catalogue, and a re-run must neither undo
    their edits nor add history rows. A rule is found by its two indicators, so a county that
    changed a rule's operator keeps its version rather than getting the default back. A
    derived indicator (Ratio) is found by its code, like an indicator: one the county changed
    (its factor, another denominator) is kept as it is.
    """
    groups = {
        code: loader.put(
            IndicatorGroup,
            {"code": code},
            initial={"name": name, "name_en": name_en, "sort_order": sort_order},
        )
        for code, name, name_en, sort_order in catalogue.GROUPS
    }
    indicators = {}
    for spec in catalogue.INDICATORS:
        spec = dict(spec)
        code, group = spec.pop("code"), spec.pop("group")
        indicators[code] = loader.put(
            Indicator, {"code": code}, initial={**spec, "group": groups[group]}
        )
    for left, operator, right, message in catalogue.RULES:
        loader.put(
            IndicatorRule,
            {"left": indicators[left], "right": indicators[right]},
            initial={"operator": operator, "message": message},
        )
    for spec in catalogue.RATIOS:
        spec = dict(spec)
        code = spec.pop("code")
        loader.put(
            Ratio,
            {"code": code},
            initial={
                **spec,
                "group": groups[spec["group"]],
                "numerator": indicators[spec["numerator"]],
                "denominator": indicators[spec["denominator"]],
            },
        )
    return indicators
