"""`manage.py generate_scale_data --communities N --months M`: synthetic data at scale.

For the benchmark and load tests, never for production: see operations.scale_data.
Every code starts with `syn-`; a second run refuses unless `--replace` removes the first
run's rows (and only those) before writing new ones. All or nothing: one transaction.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError
from django.utils.translation import gettext as _

from chunan_community.months import parse_month
from operations.scale_data import (
    CHUNK,
    MAX_COMMUNITIES,
    MAX_MONTHS,
    Options,
    generate,
    summary_text,
)


class Command(BaseCommand):
    @property
    def help(self):
        # A property, not a lazy string: argparse needs a real str, in the active language.
        return _(
            "Generate synthetic townships, communities, monthly returns, a rating round and "
            "service records for benchmarks, with codes starting with “syn-”. Refuses when "
            "synthetic data exists, unless --replace removes it first."
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--communities",
            type=int,
            required=True,
            help=_("Number of communities (1 to %(max)d).") % {"max": MAX_COMMUNITIES},
        )
        parser.add_argument(
            "--months",
            type=int,
            required=True,
            help=_("Months of returns (1 to %(max)d).") % {"max": MAX_MONTHS},
        )
        parser.add_argument("--seed", type=int, default=1, help=_("Random seed (default 1)."))
        parser.add_argument(
            "--until",
            help=_("Latest month, YYYY-MM (default: the month before the current one)."),
        )
        parser.add_argument(
            "--per-township",
            type=int,
            default=25,
            help=_("Communities per township (default 25)."),
        )
        parser.add_argument(
            "--chunk",
            type=int,
            default=CHUNK,
            help=_("Communities written per step (default %(chunk)d).") % {"chunk": CHUNK},
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help=_("Remove the synthetic data of an earlier run first (real data is kept)."),
        )

    def handle(self, *args, **options):
        until = None
        if options["until"]:
            until = parse_month(options["until"])
            if until is None:
                raise CommandError(_("--until must be a month written YYYY-MM, e.g. 2026-10."))
        verbosity = options["verbosity"]

        def progress(done, total, seconds):
            if verbosity:
                self.stdout.write(
                    _("communities %(done)d/%(total)d … %(seconds).1f s")
                    % {"done": done, "total": total, "seconds": seconds}
                )

        try:
            result = generate(
                Options(
                    communities=options["communities"],
                    months=options["months"],
                    seed=options["seed"],
                    until=until,
                    per_township=options["per_township"],
                    chunk=options["chunk"],
                ),
                replace=options["replace"],
                progress=progress,
                note=self.stdout.write if verbosity else None,
            )
        except IntegrityError as error:
            # Only when a person attached rows of their own to synthetic ones; the
            # transaction is rolled back, so nothing was removed or written.
            raise CommandError(
                _("Nothing was written: the database refused the change (%(error)s).")
                % {"error": error}
            ) from error
        if not verbosity:
            return
        if result.removed:
            self.stdout.write(
                _("Removed the earlier synthetic data: %s.") % summary_text(result.removed)
            )
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Synthetic data generated in %(seconds).1f s: %(counts)s; %(missing)d "
                    "community-months without a return."
                )
                % {
                    "seconds": result.seconds,
                    "counts": summary_text(result.created),
                    "missing": result.missing_returns,
                }
            )
        )
