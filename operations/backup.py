"""Backups of the whole portal in one archive: the database and the uploaded files
(`manage.py backup`, `manage.py restore`; `make backup`, `make restore`; docs/backup.md).

An archive is a tar.gz holding

- `manifest.json`: when, from which engine and database, the Django migrations applied, the
  rows of every table (with the model it holds), every media file's size and SHA-256;
- the database: `database.dump` (PostgreSQL, pg_dump's custom format) or `database.sqlite3`
  (SQLite, a copy made with SQLite's online backup API);
- `media/…`: every file under MEDIA_ROOT (the evidence uploads of rating declarations).

The manifest describes exactly what is in the dump: on PostgreSQL the rows are counted in
the transaction whose snapshot pg_dump exports (`--snapshot`), on SQLite in the copy. A
restore checks the media files against it before it changes anything, and the restored
tables' rows after.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.backends.postgresql.client import DatabaseClient
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django.utils.translation import gettext as _

FORMAT = 1
MANIFEST = "manifest.json"
DUMPS = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
MEDIA = "media"
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, for the operator."""


@dataclass
class Restored:
    """What a restore did, for the command to report."""

    manifest: dict
    tables: dict = field(default_factory=dict)  # table: rows found after the restore
    media_files: int = 0
    media_kept: int = 0  # files already under MEDIA_ROOT that the archive does not hold
    unapplied: list = field(default_factory=list)  # this code's migrations not in the db


# ------------------------------------------------------------------------------- backup


def default_output() -> Path:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    return Path(settings.BASE_DIR) / "var" / "backups" / f"chunan-{stamp}.tar.gz"


def backup_create(*, output: Path | None = None, using: str = "default") -> tuple[Path, dict]:
    """Write the database of `using` and every file under MEDIA_ROOT into a new tar.gz
    archive (default: var/backups/chunan-<local time>.tar.gz); returns its path and manifest.

    Side effects: creates the archive's folder (mode 0700) and the archive (mode 0600: it
    holds personal data); refuses to overwrite a file. Reads the database in one snapshot,
    writes nothing to it.
    """
    connection = connections[using]
    engine = _engine(connection)
    output = Path(output) if output else default_output()
    if output.exists():
        raise BackupError(_("%(path)s exists already: name a new file.") % {"path": output})
    _check_not_empty(connection, engine)
    output.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # The dump is written beside the archive: where the operator has made room for it.
    with tempfile.TemporaryDirectory(prefix=".chunan-backup-", dir=output.parent) as work:
        dump = Path(work) / DUMPS[engine]
        if engine == "postgresql":
            tables, migrations = _pg_dump(connection, dump)
        else:
            tables, migrations = _sqlite_copy(connection, dump)
        media = _media_files()
        manifest = {
            "format": FORMAT,
            "created_at": timezone.now().isoformat(timespec="seconds"),
            "engine": engine,
            "database": _database_name(connection),
            "django": django.get_version(),
            "migrations": migrations,
            "tables": tables,
            "media": {name: {"bytes": size, "sha256": digest} for name, size, digest in media},
        }
        (Path(work) / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8"
        )
        partial = output.with_name(output.name + ".partial")
        # Owner-only from the start, and a half-written archive never has the final name.
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with (
                os.fdopen(descriptor, "wb") as file,
                tarfile.open(fileobj=file, mode="w:gz", compresslevel=6) as tar,
            ):
                tar.add(Path(work) / MANIFEST, arcname=MANIFEST)
                tar.add(dump, arcname=dump.name)
                for name, _size, _digest in media:
                    tar.add(Path(settings.MEDIA_ROOT) / name, arcname=f"{MEDIA}/{name}")
            partial.rename(output)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return output, manifest


def _check_not_empty(connection, engine: str) -> None:
    """Refuse a database that does not exist or holds no table: a backup of nothing exits
    with an error, not with an archive that looks like a backup. This is what `make backup`
    run without the production environment would otherwise do (the demo's SQLite path, which
    connecting would create empty)."""
    name = _database_name(connection)
    hint = _(
        "Load the portal's environment first (set -a; . /etc/chunan/env; set +a) so that "
        "DATABASE_URL names its database."
    )
    if engine == "sqlite" and not _sqlite_in_memory(connection.settings_dict["NAME"]):
        path = Path(connection.settings_dict["NAME"])
        if not path.is_file() or path.stat().st_size == 0:
            raise BackupError(
                _("The database %(database)s does not exist or is empty: nothing to back up.")
                % {"database": name}
                + " "
                + hint
            )
    try:
        tables = connection.introspection.table_names()
    except DatabaseError as error:
        raise BackupError(
            _("The database %(database)s cannot be read: %(error)s")
            % {"database": name, "error": str(error).strip()}
            + " "
            + hint
        ) from error
    if not tables:
        raise BackupError(
            _("The database %(database)s has no tables: nothing to back up.") % {"database": name}
            + " "
            + hint
        )


def _sqlite_in_memory(name) -> bool:
    name = str(name)
    return name == ":memory:" or "mode=memory" in name


def _pg_dump(connection, dump: Path) -> tuple[dict, dict]:
    """pg_dump of the whole database, and its rows and migrations counted in the very
    snapshot pg_dump reads (exported from a repeatable-read transaction held open)."""
    if connection.in_atomic_block:
        raise BackupError(_("A backup cannot run inside a database transaction."))
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        names = connection.introspection.table_names(cursor)
        tables, migrations = _count_tables(cursor, names), _migrations(cursor, names)
        _run(
            "pg_dump",
            connection.settings_dict,
            ["--format=custom", "--compress=0", f"--snapshot={snapshot}", f"--file={dump}"],
            dbname_last=True,
        )
    return tables, migrations


def _sqlite_copy(connection, dump: Path) -> tuple[dict, dict]:
    """A consistent copy with SQLite's online backup API (the portal may keep writing), and
    the rows and migrations read from the copy.

    The API reads the live database through its write-ahead log (WAL), so the copy holds
    every committed write. The copy is then turned into a single self-contained file
    (journal_mode DELETE): the archive holds no -wal file."""
    connection.ensure_connection()
    target = sqlite3.connect(dump)
    try:
        connection.connection.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")
        cursor = target.cursor()
        names = [
            row[0]
            for row in cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return _count_tables(cursor, names), _migrations(cursor, names)
    finally:
        target.close()


def _media_files() -> list[tuple[str, int, str]]:
    """(path under MEDIA_ROOT, bytes, SHA-256) of every regular file there, sorted."""
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            found.append((path.relative_to(root).as_posix(), path.stat().st_size, _sha256(path)))
    return found


# ------------------------------------------------------------------------------ restore


def backup_read_manifest(archive: Path) -> dict:
    """The manifest of an archive, checked to be one of ours."""
    if not Path(archive).is_file():
        raise BackupError(_("%(path)s: no such file.") % {"path": archive})
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            member = tar.extractfile(MANIFEST)
            manifest = json.loads(member.read().decode("utf-8"))
    except (OSError, KeyError, tarfile.TarError, ValueError) as error:
        raise BackupError(
            _("%(path)s is not a backup of this portal: %(error)s")
            % {"path": archive, "error": error}
        ) from error
    if manifest.get("format") != FORMAT or manifest.get("engine") not in DUMPS:
        raise BackupError(_("%(path)s is not a backup of this portal.") % {"path": archive})
    return manifest


def backup_occupied(*, using: str = "default") -> tuple[list[str], int]:
    """The tables of the database and the number of files under MEDIA_ROOT: a restore
    replaces both, so it asks first unless both are empty."""
    tables = connections[using].introspection.table_names()
    return tables, len(_media_files())


def backup_restore(*, archive: Path, replace: bool = False, using: str = "default") -> Restored:
    """Restore an archive of backup_create into the database of `using` and MEDIA_ROOT, then
    check that every table holds the rows the manifest counted.

    Refuses a database that has any table, or a MEDIA_ROOT with files, unless `replace`.
    Checks the archive's media files against the manifest before changing anything. On
    PostgreSQL pg_restore runs in one transaction (a failed restore changes nothing); with
    `replace`, the dump's tables are dropped and recreated (tables it does not hold are
    left). On SQLite the database is replaced page by page with the online backup API.
    Media files are written over those of the same name; other files are kept. Drops the
    public pages' cache. Raises BackupError when the rows differ from the manifest.
    """
    archive = Path(archive)
    connection = connections[using]
    engine = _engine(connection)
    manifest = backup_read_manifest(archive)
    if manifest["engine"] != engine:
        raise BackupError(
            _("This backup is of a %(backup)s database; it cannot be restored into %(target)s.")
            % {"backup": manifest["engine"], "target": engine}
        )
    tables, media_present = backup_occupied(using=using)
    if (tables or media_present) and not replace:
        raise BackupError(
            _(
                "The database %(database)s is not empty (%(tables)d tables) or MEDIA_ROOT "
                "holds files (%(files)d): restoring replaces them. Run again with --yes to "
                "replace them."
            )
            % {
                "database": _database_name(connection),
                "tables": len(tables),
                "files": media_present,
            }
        )
    result = Restored(manifest=manifest)
    with tempfile.TemporaryDirectory(prefix="chunan-restore-") as work:
        work = Path(work)
        with tarfile.open(archive, mode="r:gz") as tar:
            # The "data" filter refuses absolute paths, links out of the folder and devices.
            tar.extractall(work, filter="data")
        _check_media(work / MEDIA, manifest["media"])
        dump = work / DUMPS[engine]
        if engine == "postgresql":
            _pg_restore(connection, dump, clean=bool(tables))
        else:
            _sqlite_restore(connection, dump)
        result.media_files, result.media_kept = _restore_media(work / MEDIA, manifest["media"])
    with connection.cursor() as cursor:
        present = set(connection.introspection.table_names(cursor))
        counted = _count_tables(cursor, present & set(manifest["tables"]))
    result.tables = {table: counted[table]["rows"] for table in counted}
    differ = {
        table: (expected["rows"], result.tables.get(table, _("no table")))
        for table, expected in manifest["tables"].items()
        if result.tables.get(table) != expected["rows"]
    }
    if differ:
        listed = ", ".join(
            f"{table} {want} → {got}" for table, (want, got) in sorted(differ.items())
        )
        raise BackupError(
            _("The restored rows differ from the backup's manifest: %(tables)s")
            % {"tables": listed}
        )
    executor = MigrationExecutor(connection)
    result.unapplied = [
        f"{migration.app_label}.{migration.name}"
        for migration, _backwards in executor.migration_plan(executor.loader.graph.leaf_nodes())
    ]
    if using == "default":
        from chunan_community import public_cache

        public_cache.bump_version()
    return result


def _pg_restore(connection, dump: Path, *, clean: bool) -> None:
    connection.close()  # nothing of ours holds a lock on the tables pg_restore drops
    options = ["--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error"]
    if clean:
        options += ["--clean", "--if-exists"]
    options += [f"--dbname={connection.settings_dict['NAME']}", str(dump)]
    _run("pg_restore", connection.settings_dict, options, dbname_last=False)


def _sqlite_restore(connection, dump: Path) -> None:
    connection.ensure_connection()
    source = sqlite3.connect(dump)
    try:
        source.backup(connection.connection)
    finally:
        source.close()


def _check_media(folder: Path, expected: dict) -> None:
    for name, described in expected.items():
        path = folder / name
        if not path.is_file() or _sha256(path) != described["sha256"]:
            raise BackupError(
                _("The archive's media file %(name)s is missing or damaged: nothing was restored.")
                % {"name": name}
            )


def _restore_media(folder: Path, expected: dict) -> tuple[int, int]:
    root = Path(settings.MEDIA_ROOT)
    present = {name for name, _size, _digest in _media_files()}
    for name in expected:
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(folder / name, target)
    return len(expected), len(present - set(expected))


# ------------------------------------------------------------------------------ helpers


def models_by_table() -> dict[str, str]:
    """Table name → model label, many-to-many tables included."""
    return {
        model._meta.db_table: model._meta.label
        for model in apps.get_models(include_auto_created=True)
    }


def _count_tables(cursor, names) -> dict:
    """{table: {"model": label or None, "rows": n}} for tables of the database's catalogue."""
    labels = models_by_table()
    counted = {}
    for name in sorted(names):
        cursor.execute(f'SELECT COUNT(*) FROM "{name}"')  # noqa: S608 (names from the catalogue)
        counted[name] = {"model": labels.get(name), "rows": cursor.fetchone()[0]}
    return counted


def _migrations(cursor, names) -> dict:
    """{app: [migration names applied]}; none in a database never migrated."""
    if "django_migrations" not in names:
        return {}
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    applied = {}
    for app, name in cursor.fetchall():
        applied.setdefault(app, []).append(name)
    return applied


def _engine(connection) -> str:
    if connection.vendor not in DUMPS:
        raise BackupError(
            _("Backups support PostgreSQL and SQLite, not %(vendor)s.")
            % {"vendor": connection.vendor}
        )
    return connection.vendor


def _database_name(connection) -> str:
    settings_dict = connection.settings_dict
    if connection.vendor == "postgresql":
        host = settings_dict.get("HOST") or "localhost"
        return f"{settings_dict['NAME']} on {host}:{settings_dict.get('PORT') or 5432}"
    return str(settings_dict["NAME"])


def _run(program: str, settings_dict: dict, options: list[str], *, dbname_last: bool) -> None:
    """pg_dump or pg_restore with the connection settings of DATABASES (host, port, user;
    the password through PGPASSWORD, never on the command line)."""
    args, env = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    # ["psql", -U user, -h host, -p port, dbname]: keep the connection options.
    connection_options = args[1:-1] if settings_dict.get("NAME") else args[1:]
    command = [program, "--no-password", *connection_options, *options]
    if dbname_last:
        command.append(settings_dict["NAME"])
    if shutil.which(program) is None:
        raise BackupError(
            _("%(program)s is not installed (Debian: apt-get install postgresql-client).")
            % {"program": program}
        )
    done = subprocess.run(  # noqa: S603 (our own arguments, no shell)
        command, env={**os.environ, **(env or {})}, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(
            _("%(program)s failed: %(error)s")
            % {"program": program, "error": done.stderr.strip()[-2000:]}
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
