"""What every form of the portal shares: the text a person may type, and what a form view
binds its form to."""

import unicodedata

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

# The suffix Django puts after every form label (forms.Form.label_suffix, `_(":")`), named here
# so that the portal's catalogue gives it in Chinese as the full-width colon "：" (Django's own
# Chinese catalogue keeps the ASCII one). One colon after a label, in every form and the admin.
LABEL_SUFFIX = gettext_noop(":")

# Invisible characters that join or vary the character before them: a ZWJ holds a family
# emoji together, a variation selector picks a glyph (❤️, and variants of rare Chinese
# characters). Allowed between visible characters, never on their own.
JOINERS = frozenset("\u034f\u200c\u200d") | frozenset(map(chr, range(0xFE00, 0xFE10)))
# Hangul fillers: letters that draw nothing, a favourite for names that look empty.
FILLERS = frozenset("\u115f\u1160\u3164\uffa0")
# Line breaks and tabs are what a text area sends; NUL has Django's own message.
ALLOWED_CONTROLS = frozenset("\t\n\r\x00")


def _refused(character: str) -> bool:
    category = unicodedata.category(character)
    if category == "Cc":
        return character not in ALLOWED_CONTROLS
    if category in ("Cf", "Zl", "Zp", "Cs"):
        # Format characters: the bidi controls (U+202A to U+202E, U+2066 to U+2069, U+200E/F,
        # U+061C), zero-width space and no-break (U+200B, U+2060, U+FEFF), soft hyphen…
        return character not in JOINERS
    return character in FILLERS


def visible_text(value: str) -> None:
    """Refuse (ValidationError) text holding a character that hides or turns around the text
    around it: a control character, a bidi control such as U+202E (which shows "txt.exe" as
    "exe.txt"), a zero-width or other invisible character; or text with nothing visible.

    The validator of every text field of the portal's forms (PortalForm, PortalModelForm)
    and of the admin's (communities.admin.ScopedModelAdmin). The message names the
    character and where it is, in the user's language.
    """
    if not isinstance(value, str) or not value:
        return
    for position, character in enumerate(value, start=1):
        if _refused(character):
            raise ValidationError(
                _(
                    "Remove the invisible or text-direction character %(character)s "
                    "(character %(position)s): it hides or reverses the text around it."
                ),
                code="invisible",
                params={"character": f"U+{ord(character):04X}", "position": position},
            )
    if all(character.isspace() or character in JOINERS for character in value):
        raise ValidationError(
            _("Enter visible text: this holds only spaces or invisible characters."),
            code="invisible",
        )


class VisibleTextMixin:
    """Every text field of the form (CharField and its kinds, password boxes aside) checks
    its value with `visible_text`. Added at validation, so that it also reaches the fields
    a form adds in its own __init__.

    A tick box refuses a NUL as a text box does: Django takes anything sent for a tick (a
    browser sends "on"), so "\x00" would otherwise tick it."""

    def full_clean(self):
        for field in self.fields.values():
            if (
                isinstance(field, forms.CharField)
                and not isinstance(field.widget, forms.PasswordInput)
                and visible_text not in field.validators
            ):
                field.validators.append(visible_text)
        super().full_clean()
        if not self.is_bound:
            return
        for name, field in self.fields.items():
            sent = self.data.get(self.add_prefix(name))
            if isinstance(field, forms.BooleanField) and isinstance(sent, str) and "\x00" in sent:
                validator = ProhibitNullCharactersValidator()
                self.add_error(name, ValidationError(validator.message, code=validator.code))


class PortalForm(VisibleTextMixin, forms.Form):
    """The base of the portal's forms."""


class PortalModelForm(VisibleTextMixin, forms.ModelForm):
    """The base of the portal's model forms, and of the admin's (ScopedModelAdmin.form)."""


def posted(request):
    """The form data of a POST, else None: a form is bound on every POST, an empty one too,
    so that it says what is missing (`request.POST or None` would leave it unbound)."""
    return request.POST if request.method == "POST" else None


def posted_files(request):
    """The uploaded files of a POST, else None (as `posted`)."""
    return request.FILES if request.method == "POST" else None
