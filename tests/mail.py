"""A real SMTP server for the suite (aiosmtpd, on 127.0.0.1), and the worker run in-process.

`mailbox` points the portal's e-mail at the server and gives what it received: each message
parsed, with its envelope's recipients. `run_worker()` runs the task queue until it is empty,
as `manage.py db_worker --batch` does.
"""

import email
import email.policy
import logging
import socket
import threading
from unittest import mock

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command


class Received:
    """What the SMTP server was sent; each message is an email.message.EmailMessage with its
    envelope's recipients in `rcpt_tos`."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()
        # A handler that answers with this SMTP status instead of accepting (e.g. "451 ...").
        self.refuse_with = None

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_with:
            return self.refuse_with
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message.rcpt_tos = list(envelope.rcpt_tos)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def clear(self):
        with self.lock:
            self.messages.clear()
        self.refuse_with = None

    def to(self, address: str) -> list:
        return [m for m in self.messages if address in m.rcpt_tos]

    def text(self, message) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server():
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    handler = Received()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def mailbox(smtp_server, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    received = smtp_server.handler
    received.clear()
    yield received
    received.clear()


def run_worker() -> None:
    """Run every task that is due now, as `manage.py db_worker --batch` does.

    In the test's own connection: the worker's check for old connections would close it (on
    PostgreSQL, once CONN_MAX_AGE has passed or the clock was moved on), and with it the
    transaction the test runs in. tests/notifications/test_worker_killed.py runs the worker
    as a process of its own, as production does."""
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command(
            "db_worker", batch=True, interval=0, startup_delay=False, reload=False, verbosity=0
        )
