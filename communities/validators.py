"""Validators of the registry's fields: codes that appear in addresses must not collide with
the portal's own path segments; an office's telephone number must be one."""

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

from chunan_community import phones


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


# The registry's models name the phone rule here (their migrations too); it lives on the floor.
validate_phone_number = phones.validate_phone_number
