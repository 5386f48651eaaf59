"""`manage.py backup` (make backup): the database and MEDIA_ROOT in one tar.gz archive with a
manifest (docs/backup.md). The work is in operations.backup."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from operations.backup import BackupError, backup_create


class Command(BaseCommand):
    @property
    def help(self):
        # A property, not a lazy string: argparse needs a real str, in the active language.
        return _(
            "Back up the database (PostgreSQL: pg_dump; SQLite: a copy) and the uploaded "
            "files under MEDIA_ROOT into one tar.gz archive with a manifest of every table's "
            "rows."
        )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            help=_("The archive to write (default: var/backups/chunan-<date>-<time>.tar.gz)."),
        )

    def handle(self, *args, **options):
        try:
            path, manifest = backup_create(output=options["output"])
        except BackupError as error:
            raise CommandError(str(error)) from error
        rows = sum(table["rows"] for table in manifest["tables"].values())
        self.stdout.write(
            _(
                "Backup written: %(path)s (%(size).1f MB): %(engine)s database %(database)s, "
                "%(tables)d tables, %(rows)d rows, %(files)d media files."
            )
            % {
                "path": path,
                "size": path.stat().st_size / 1024 / 1024,
                "engine": manifest["engine"],
                "database": manifest["database"],
                "tables": len(manifest["tables"]),
                "rows": rows,
                "files": len(manifest["media"]),
            }
        )
