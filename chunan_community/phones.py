"""Telephone numbers of mainland China, as people type them: the one rule for an office's
number (the registry) and a person's mobile (text-message reminders)."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_SEP = r"[ -]?"
# A mobile: 138 1234 5678, with +86 or 0086 in front or not.
_MOBILE = rf"(?:(?:\+|00)86{_SEP})?1[3-9]\d{_SEP}\d{{4}}{_SEP}\d{{4}}"
MOBILE_NUMBER = re.compile(rf"^{_MOBILE}$")
# Any number as offices write them: a mobile, a fixed line with or without its area code
# (0571-6481 2345, (0571)64812345, 64812345) and an extension (转 12, -12, ext. 12), or a
# 400/800 service number.
PHONE_NUMBER = re.compile(
    r"^(?:"
    rf"{_MOBILE}"
    rf"|(?:\(0\d{{2,3}}\){_SEP}|0\d{{2,3}}{_SEP})?[2-9]\d{{2,3}}{_SEP}\d{{4}}"
    r"(?:(?:转|-|\s*ext\.?\s*|x)\d{1,6})?"
    rf"|[48]00{_SEP}\d{{3}}{_SEP}\d{{4}}"
    r")$"
)


def typed(value: str) -> str:
    """A number as typed, its full-width digits and signs (as a Chinese input method types
    them) made plain."""
    return unicodedata.normalize("NFKC", value or "").strip()


def validate_phone_number(value: str) -> None:
    """Refuse text that is not a telephone number of mainland China (PHONE_NUMBER)."""
    if value and not PHONE_NUMBER.match(value):
        raise ValidationError(
            _("Enter a telephone number such as 0571-64812345 or 138 1234 5678."),
            code="invalid_phone",
        )


def validate_mobile_number(value: str) -> None:
    """Refuse text that is not a mobile number of mainland China (MOBILE_NUMBER)."""
    if value and not MOBILE_NUMBER.match(value):
        raise ValidationError(
            _("Enter a mobile number such as 138 1234 5678."), code="invalid_mobile"
        )
