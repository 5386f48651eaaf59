"""A worker killed in the middle of a send loses nothing.

The real thing: `manage.py db_worker` in its own process takes the e-mail off the queue and
starts the SMTP conversation with a server that holds the message's data; the process is
killed (SIGKILL: no handler runs) while it waits. The e-mail is still pending in the outbox;
once its claim has run out, `manage.py send_reminders` sweeps it back onto the queue and a
new worker sends it.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import threading

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection
from django_tasks_db.models import DBTaskResult

from notifications.models import Delivery, DeliveryStatus
from tests.mail import Received, free_port

pytestmark = pytest.mark.django_db(transaction=True)


class HoldingServer(Received):
    """Receives the message's data, then holds its answer until released."""

    def __init__(self):
        super().__init__()
        self.hold = True
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if self.hold:
            self.holding.set()
            # Wait in a thread, so that the server's loop keeps running.
            await server.loop.run_in_executor(None, self.release.wait, 30)
            return "451 Not kept"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def holding_server():
    handler = HoldingServer()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller
    handler.release.set()
    controller.stop()


@pytest.fixture
def database_url(tmp_path):
    """The test database as another process reaches it: PostgreSQL's by its name; SQLite's
    (in memory) copied to a file, before anything is written that the test looks for."""
    if connection.vendor == "postgresql":
        db = connection.settings_dict
        return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    path = tmp_path / "db.sqlite3"
    connection.ensure_connection()
    with sqlite3.connect(path) as copy:
        connection.connection.backup(copy)
    return f"sqlite:///{path}"


def manage(*args, database_url, port, background=False):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "chunan_community.settings",
        "DJANGO_SECRET_KEY": "worker-test-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DJANGO_HTTPS": "false",
        "DATABASE_URL": database_url,
        "CHUNAN_CACHE_URL": "locmemcache://",
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "DJANGO_EMAIL_HOST": "127.0.0.1",
        "DJANGO_EMAIL_PORT": str(port),
        "DJANGO_EMAIL_TIMEOUT": "20",
    }
    command = [sys.executable, "manage.py", *args]
    if background:
        return subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            command, cwd=settings.BASE_DIR, env=env
        )
    return subprocess.run(  # noqa: S603
        command, cwd=settings.BASE_DIR, env=env, check=True, timeout=120, capture_output=True
    )


def rows(database_url, sql, params=()):
    """Run `sql` (placeholders %s) on the other process's database directly: this test's
    connection does not see a copied file."""
    if database_url.startswith("sqlite"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
            return db.execute(sql.replace("%s", "?"), params).fetchall()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def test_a_worker_killed_while_sending_loses_nothing(database_url, holding_server):
    port = holding_server.port
    # The e-mail is written as the portal writes it, with its queue row, by a process on the
    # wall clock as the workers' (this test's clock may be moved: CHUNAN_TEST_TODAY).
    manage(
        "shell",
        "-c",
        "from notifications.notify import email_to; "
        "email_to('objector@example.org', 'opinion_reply', "
        "'notifications/messages/account_disabled.txt', {'user': None})",
        database_url=database_url,
        port=port,
    )
    status = "SELECT status, attempts FROM notifications_delivery"
    assert rows(database_url, status) == [("pending", 0)]

    worker = manage(
        "db_worker",
        "--no-reload",
        "--interval",
        "0.2",
        database_url=database_url,
        port=port,
        background=True,
    )
    try:
        assert holding_server.handler.holding.wait(60), "the worker never started the send"
        worker.send_signal(signal.SIGKILL)
        assert worker.wait(10) == -signal.SIGKILL
    finally:
        if worker.poll() is None:
            worker.kill()

    # Killed in the middle of the send: nothing was received, the e-mail is still pending,
    # held by the dead worker's claim; its queue row says running forever.
    assert holding_server.handler.messages == []
    assert rows(database_url, status) == [("pending", 0)]
    queue = f"SELECT status FROM {DBTaskResult._meta.db_table}"  # noqa: S608 (a model's table)
    assert rows(database_url, queue) == [("RUNNING",)]

    # Time passes: the claim runs out and the queue row is stale (outbox.LEASE, STALE). Long
    # ago on any clock, this test's (which may be moved) and the processes' alike.
    past = "2000-01-01 00:00:00"
    rows(
        database_url,
        "UPDATE notifications_delivery SET claimed_until = %s, enqueued_at = %s",
        (past, past),
    )
    holding_server.handler.hold = False
    holding_server.handler.release.set()

    swept = manage("send_reminders", database_url=database_url, port=port)
    assert "1 outbox messages put back on the queue" in swept.stdout.decode()
    manage("db_worker", "--batch", "--no-startup-delay", database_url=database_url, port=port)

    [mail] = holding_server.handler.to("objector@example.org")
    assert mail["Subject"] == "您的账号已停用"
    assert rows(database_url, status) == [("sent", 1)]
    if connection.vendor == "postgresql":
        assert Delivery.objects.get().status == DeliveryStatus.SENT
