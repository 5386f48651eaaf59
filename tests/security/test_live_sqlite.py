"""The portal served as `make run` serves it: gunicorn with two workers on a real SQLite file
(tests/security/live_sqlite.py), whatever database the rest of the suite runs on.

- Concurrent writes (issue 12, §5): a clerk's parallel sessions of service, the public's
  parallel opinions during a notice and parallel failed log-ins are every one stored, none
  lost to "database is locked".
- The database file and its -wal and -shm are the owner's only (0600).
- The access log (gunicorn.conf.py) writes one line per request, a CR, LF or NUL in the path
  escaped, never a line of its own.

Everything talks to 127.0.0.1 only; the requests are few and each has a timeout.
"""

import datetime
import json
import os
import sqlite3
import stat
import subprocess
import sys
import tarfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.conf import settings

from tests.security import live_sqlite

SESSIONS = 20
OPINIONS = 20
FAILED_LOGINS = 10


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A migrated SQLite file with its data, served by gunicorn (two workers) that writes
    its access log under the same folder."""
    folder = tmp_path_factory.mktemp("live-sqlite")
    facts = live_sqlite.prepare(folder)
    access_log = folder / "access.log"
    with live_sqlite.serve(folder, workers=2, access_log=access_log) as server:
        yield server, folder, facts, access_log


def _rows(folder: Path, sql: str, *params, name: str = "db.sqlite3") -> list[tuple]:
    database = sqlite3.connect(f"file:{folder / name}?mode=ro", uri=True)
    try:
        return database.execute(sql, params).fetchall()
    finally:
        database.close()


def _lines_with(log: Path, part: str, count: int) -> list[str]:
    """The log's lines holding `part`, once there are `count` (gunicorn writes a request's
    line just after its answer, so it may come a moment after the client has read it)."""
    deadline = time.monotonic() + 10
    while True:
        lines = [line for line in log.read_text(encoding="utf-8").splitlines() if part in line]
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def test_concurrent_writes_on_sqlite_are_all_stored(live):
    server, folder, facts, _log = live
    session = live_sqlite.log_in(server, facts["clerk"], facts["password"])
    served_on = datetime.date.fromisoformat(facts["today"]) - datetime.timedelta(days=1)
    session_path = f"/services/{facts['community']}/volunteers/{facts['volunteer']}/session/"
    opinion_path = f"/ratings/{facts['round']}/objections/"

    def service(n):
        data = {
            "served_on": served_on.isoformat(),
            "hours": "1.5",
            "activity": f"陪伴就医 {n}",
            "household": "",
        }
        return live_sqlite.request(server, "POST", session_path, data=data, session=session)[0]

    def opinion(n):
        data = {"community": "", "text": f"活动场地面积与实际不符，第{n}条意见。"}
        address = f"198.51.100.{n + 10}"
        return live_sqlite.request(server, "POST", opinion_path, data=data, address=address)[0]

    def failed_log_in(n):
        data = {"username": f"nobody{n}", "password": "wrong-password-123"}
        address = f"203.0.113.{n + 10}"
        return live_sqlite.request(server, "POST", "/accounts/login/", data=data, address=address)[
            0
        ]

    calls = (
        [(service, n) for n in range(SESSIONS)]
        + [(opinion, n) for n in range(OPINIONS)]
        + [(failed_log_in, n) for n in range(FAILED_LOGINS)]
    )
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(call, n) for call, n in calls]
        statuses = [future.result(timeout=120) for future in futures]

    assert statuses == [302] * (SESSIONS + OPINIONS) + [200] * FAILED_LOGINS
    activities = _rows(
        folder,
        "SELECT activity FROM services_servicerecord WHERE volunteer_id = ? ORDER BY activity",
        facts["volunteer"],
    )
    assert sorted(row[0] for row in activities) == sorted(f"陪伴就医 {n}" for n in range(SESSIONS))
    deposits = _rows(
        folder,
        "SELECT count(*), sum(hours) FROM services_timebankentry WHERE volunteer_id = ?",
        facts["volunteer"],
    )
    assert deposits == [(SESSIONS, 1.5 * SESSIONS)]
    opinions = _rows(folder, "SELECT text FROM ratings_objection ORDER BY id")
    assert sorted(row[0] for row in opinions) == sorted(
        f"活动场地面积与实际不符，第{n}条意见。" for n in range(OPINIONS)
    )
    attempts = _rows(
        folder,
        "SELECT username, failures_since_start FROM axes_accessattempt ORDER BY username",
    )
    assert sorted(attempts) == sorted((f"nobody{n}", 1) for n in range(FAILED_LOGINS))
    # WAL: the writes went through the write-ahead log.
    assert _rows(folder, "PRAGMA journal_mode") == [("wal",)]


def test_database_files_are_the_owners_only(live):
    server, folder, facts, _log = live
    # A write, so that the -wal and -shm files exist.
    live_sqlite.log_in(server, facts["clerk"], facts["password"])

    modes = {
        path.name: stat.S_IMODE(path.stat().st_mode) for path in sorted(folder.glob("db.sqlite3*"))
    }

    assert modes == {"db.sqlite3": 0o600, "db.sqlite3-shm": 0o600, "db.sqlite3-wal": 0o600}


def test_access_log_escapes_line_breaks_and_nul_in_the_path(live):
    server, _folder, _facts, access_log = live
    # A path that would end the line and forge a request of its own, then a NUL, a
    # right-to-left override and a backslash.
    forged = (
        "/communities/x%0D%0A127.0.0.1%20-%20-%20%22GET%20/admin/%20HTTP/1.1%22%20200"
        "%00%E2%80%AE%5C/"
    )

    status, _cookies = live_sqlite.request(server, "GET", forged)
    status_cn, _cookies = live_sqlite.request(server, "GET", "/communities/%E8%A5%BF%E5%9B%AD/")

    lines = _lines_with(access_log, '"GET /communities/', 2)
    assert (status, status_cn) == (404, 404)
    assert len(lines) == 2
    # Two workers may write their lines in either order.
    forged_line = (
        '"GET /communities/x\\x0d\\x0a127.0.0.1 - - \\"GET /admin/ HTTP/1.1\\" 200\\x00\\u202e\\\\/'
        ' HTTP/1.1" 404 '
    )
    assert sum(forged_line in line for line in lines) == 1, lines
    assert sum('"GET /communities/西园/ HTTP/1.1" 404 ' in line for line in lines) == 1, lines


def test_backup_of_the_live_wal_database_holds_every_row(live, tmp_path):
    """`manage.py backup` beside the running server: the archive's database holds every row
    the WAL-mode file holds (the backup API reads through the write-ahead log), as one
    self-contained file."""
    server, folder, facts, _log = live
    live_sqlite.log_in(server, facts["clerk"], facts["password"])  # a write just before
    archive = tmp_path / "backup.tar.gz"

    done = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [sys.executable, "manage.py", "backup", "--output", str(archive)],
        cwd=settings.BASE_DIR,
        env={**os.environ, **live_sqlite.environment(folder)},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        tar.extract("database.sqlite3", tmp_path, filter="data")
    tables = [row[0] for row in _rows(folder, "SELECT name FROM sqlite_master WHERE type='table'")]
    live_counts = {
        table: _rows(folder, f'SELECT count(*) FROM "{table}"')[0][0]  # noqa: S608
        for table in tables
        if not table.startswith("sqlite_")
    }
    assert {table: row["rows"] for table, row in manifest["tables"].items()} == live_counts
    assert live_counts["django_session"] >= 1
    assert _rows(tmp_path, "PRAGMA journal_mode", name="database.sqlite3") == [("delete",)]
