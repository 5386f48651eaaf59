"""`manage.py restore PATH [--yes]` (make restore FILE=…): an archive of `manage.py backup`
into the database of DATABASE_URL and MEDIA_ROOT, checked against its manifest
(docs/backup.md). The work is in operations.backup."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from operations.backup import BackupError, backup_restore


class Command(BaseCommand):
    @property
    def help(self):
        return _(
            "Restore a backup made by manage.py backup into this database and MEDIA_ROOT, "
            "then check every table's rows against the backup's manifest. Refuses a database "
            "or MEDIA_ROOT that is not empty unless --yes."
        )

    def add_arguments(self, parser):
        parser.add_argument("archive", type=Path, help=_("The backup archive (.tar.gz)."))
        parser.add_argument(
            "--yes",
            action="store_true",
            help=_("Replace a database or MEDIA_ROOT that is not empty."),
        )

    def handle(self, *args, **options):
        try:
            result = backup_restore(archive=options["archive"], replace=options["yes"])
        except BackupError as error:
            raise CommandError(str(error)) from error
        manifest = result.manifest
        width = max(len(table) for table in result.tables) if result.tables else 0
        for table, expected in sorted(manifest["tables"].items()):
            self.stdout.write(
                f"  {table:<{width}}  {result.tables[table]:>10}  {expected['model'] or ''}"
            )
        self.stdout.write(
            _(
                "Restored %(path)s (%(engine)s, made %(created)s): %(tables)d tables and "
                "%(rows)d rows, as the manifest counted; %(files)d media files, checked."
            )
            % {
                "path": options["archive"],
                "engine": manifest["engine"],
                "created": manifest["created_at"],
                "tables": len(result.tables),
                "rows": sum(result.tables.values()),
                "files": result.media_files,
            }
        )
        if result.media_kept:
            self.stdout.write(
                _("%(count)d files under MEDIA_ROOT that the backup does not hold were kept.")
                % {"count": result.media_kept}
            )
        if result.unapplied:
            self.stdout.write(
                _("The backup predates %(count)d migrations of this code: run manage.py migrate.")
                % {"count": len(result.unapplied)}
            )
