"""The embedded SQLite database's files are the portal's own user's alone (mode 0600), like
the secret key and the backups: they hold every resident's details.

SQLite creates the database file with the process's umask (0644 as a rule) and gives its
-wal and -shm files the database file's mode. Each new connection therefore narrows the
database file first, then the two others if they exist already: a file created by `migrate`,
by `make run` or by an older version of the portal is 0600 from its first connection on.
"""

import os
import stat
from pathlib import Path

from django.db.backends.signals import connection_created

MODE = 0o600


def sqlite_files(connection) -> list[Path]:
    """The database file of an SQLite connection and its -wal and -shm files; none for an
    in-memory database or another engine."""
    if connection.vendor != "sqlite" or connection.is_in_memory_db():
        return []
    database = Path(connection.settings_dict["NAME"])
    return [database, *(database.with_name(database.name + end) for end in ("-wal", "-shm"))]


def restrict_sqlite_files(sender, connection, **kwargs) -> None:
    """Receiver of connection_created: narrow the SQLite files to the owner (0600)."""
    for path in sqlite_files(connection):
        try:
            if stat.S_IMODE(path.stat().st_mode) != MODE:
                os.chmod(path, MODE)
        except FileNotFoundError:
            continue


def connect_receivers() -> None:
    connection_created.connect(restrict_sqlite_files, dispatch_uid="chunan_sqlite_files")
