"""gunicorn's access log writes one line per request, whatever the request holds.

gunicorn writes the path decoded (%(U)s): a request for `/x%0D%0Afake line` would otherwise
end the line and forge a line of its own, `%00` would put a NUL in the file and `%E2%80%AE`
would turn the rest of the line around in a terminal. Every value of the line is escaped
here as nginx and Apache escape theirs: a backslash is doubled (gunicorn itself puts one
before a double quote), control, format (bidi, zero-width) and line-separator characters
become \\xNN, \\uNNNN or \\UNNNNNNNN. UTF-8 paths are written as text (西园, not mojibake).

chunan_community/gunicorn.conf.py names this class as gunicorn's `logger_class`.
"""

import contextlib
import unicodedata

from gunicorn.glogging import Logger

ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})


def _escape_character(character: str) -> str:
    if character == "\\":
        return "\\\\"
    if unicodedata.category(character) not in ESCAPED_CATEGORIES:
        return character
    code = ord(character)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def log_escape(value: str) -> str:
    """`value` fit for one field of one log line. WSGI passes the path and the headers as
    bytes decoded as Latin-1: they are read as UTF-8 where they are UTF-8."""
    with contextlib.suppress(UnicodeError):
        value = value.encode("latin-1").decode("utf-8")
    return "".join(_escape_character(character) for character in value)


class EscapingLogger(Logger):
    """gunicorn's logger, with every text value of the access log line escaped."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            name: log_escape(value) if isinstance(value, str) else value
            for name, value in atoms.items()
        }
