"""What the portal's log and error mails may hold (settings.LOGGING).

Searches for residents' names travel in query strings (?q=…), and forms carry personal data:
the access log leaves them out (gunicorn.conf.py), and so must the error log and the mail
sent to DJANGO_ADMINS. Django's error report dumps the whole request (query string, headers,
cookies, POST, every frame's local variables): here it keeps the path and the traceback.
"""

import logging

from django.views.debug import ExceptionReporter


class WithoutTraceback(logging.Filter):
    """One line per record: a request for a foreign host (DisallowedHost) says which host,
    not the 30 lines of where Django noticed it."""

    def filter(self, record):
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        return True


class PathOnlyExceptionReporter(ExceptionReporter):
    """The error mail: the exception, its traceback (code lines, no local variables) and the
    request's method and path, never its query string, headers, cookies or posted data."""

    def get_traceback_data(self):
        data = super().get_traceback_data()
        for frame in data.get("frames", []):
            frame["vars"] = []
        if self.request is not None:
            data["request_GET_items"] = []
            data["request_FILES_items"] = []
            data["request_COOKIES_items"] = []
            data["filtered_POST_items"] = []
            data["request_insecure_uri"] = self.request.path
            data["request_meta"] = {
                key: value
                for key, value in data["request_meta"].items()
                if key in ("REQUEST_METHOD", "PATH_INFO", "SERVER_NAME", "SERVER_PORT")
            }
        data["settings"] = {}
        return data
