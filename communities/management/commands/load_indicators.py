"""`manage.py load_indicators`: the default indicator catalogue of the monthly returns.

For production as for the demo: it adds the groups, indicators, cross-field rules and
derived indicators (ratios) of communities.returns.catalogue that are missing, and never
changes one that exists (the county keeps the catalogue). Safe to run again: a second run
writes nothing.
"""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import gettext as _

from communities.loading import Loader, counts_text, load_catalogue


class Command(BaseCommand):
    @property
    def help(self):
        # A property, not a lazy string: argparse needs a real str, in the active language.
        return _(
            "Add the default indicator catalogue of the monthly returns: groups, indicators, "
            "cross-field rules and derived indicators. Existing ones, and the county's changes "
            "to them, are kept. Safe to run again."
        )

    def handle(self, *args, **options):
        loader = Loader(change_reason="load_indicators")
        with transaction.atomic():
            load_catalogue(loader)
        if options["verbosity"] == 0:
            return
        if options["verbosity"] >= 2:
            for name, counts in loader.by_model.items():
                self.stdout.write(f"  {name}: " + counts_text(counts))
        self.stdout.write(
            self.style.SUCCESS(_("Indicator catalogue loaded: %s.") % counts_text(loader.tally))
        )
