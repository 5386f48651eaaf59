"""Text messages (短信), behind one interface.

A backend is a class with `send(phone, text)` that raises on failure (the outbox then tries
again). CHUNAN_SMS_BACKEND names it by its dotted path. The one here only writes to the log:
no SMS provider can be reached from this network. A provider's adapter goes beside it, e.g.
`notifications.sms.AliyunBackend`, reading its keys from the environment, and is named in
CHUNAN_SMS_BACKEND (README, "Text messages").
"""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsBackend:
    def send(self, phone: str, text: str) -> None:
        raise NotImplementedError


class LoggingBackend(SmsBackend):
    """Writes each text message to the log (logger `notifications.sms`) instead of sending."""

    def send(self, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", phone, text)


def backend() -> SmsBackend:
    return import_string(settings.CHUNAN_SMS_BACKEND)()
