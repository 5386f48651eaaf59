"""Validators of the registry's fields: codes that appear in addresses must not collide with
the portal's own path segments; an office's telephone number must be one."""

import re

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _


@deconstructible
class NotReservedCode:
    """Refuses a code that is one of `reserved`: the words the portal's own pages use at
    the same place in an address (/ratings/manage/ beside /ratings/<round>/, say)."""

    def __init__(self, reserved):
        self.reserved = tuple(sorted(reserved))

    def __call__(self, value):
        if value in self.reserved:
            raise ValidationError(
                _("“%(code)s” is reserved for the portal's own pages; choose another code."),
                params={"code": value},
                code="reserved",
            )

    def __eq__(self, other):
        return isinstance(other, NotReservedCode) and self.reserved == other.reserved


# /services/<community>/ sits beside these pages of the services app.
RESERVED_COMMUNITY_CODES = ("admission", "commendations", "reports")


# Telephone numbers of mainland China as offices write them: a mobile (138 1234 5678, with
# +86 or not), a fixed line with or without its area code (0571-6481 2345, (0571)64812345,
# 64812345) and an extension (转 12, -12, ext. 12), or a 400/800 service number.
_SEP = r"[ -]?"
PHONE_NUMBER = re.compile(
    r"^(?:"
    rf"(?:(?:\+|00)86{_SEP})?1[3-9]\d{_SEP}\d{{4}}{_SEP}\d{{4}}"
    rf"|(?:\(0\d{{2,3}}\){_SEP}|0\d{{2,3}}{_SEP})?[2-9]\d{{2,3}}{_SEP}\d{{4}}"
    r"(?:(?:转|-|\s*ext\.?\s*|x)\d{1,6})?"
    rf"|[48]00{_SEP}\d{{3}}{_SEP}\d{{4}}"
    r")$"
)


def validate_phone_number(value: str) -> None:
    """Refuse text that is not a telephone number of mainland China (PHONE_NUMBER)."""
    if value and not PHONE_NUMBER.match(value):
        raise ValidationError(
            _("Enter a telephone number such as 0571-64812345 or 138 1234 5678."),
            code="invalid_phone",
        )
