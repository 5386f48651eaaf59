"""The shared kit's text check (chunan_community.forms.visible_text): every text field of the
portal's forms and of the admin refuses characters that hide or turn around the text."""

import importlib
import inspect
import pkgutil

import pytest
from django import forms
from django.utils import translation

from chunan_community.forms import PortalForm, VisibleTextMixin

PORTAL_PACKAGES = (
    "chunan_community",
    "notifications",
    "communities",
    "ratings",
    "services",
    "portal",
    "reports",
)


class NameForm(PortalForm):
    name = forms.CharField(max_length=50)
    note = forms.CharField(required=False, widget=forms.Textarea)
    password = forms.CharField(required=False, widget=forms.PasswordInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A field added after the form's own __init__, as several portal forms do.
        self.fields["late"] = forms.CharField(required=False)


def _errors(data: dict) -> dict:
    with translation.override("en"):
        form = NameForm(data)
        form.is_valid()
        return form.errors.get_json_data()


@pytest.mark.parametrize(
    ("typed", "character", "position"),
    [
        ("王\u202e小明", "U+202E", 2),  # right-to-left override
        ("\u2066王小明\u2069", "U+2066", 1),  # first strong isolate … pop
        ("王小明\u2069", "U+2069", 4),
        ("王\u200b小明", "U+200B", 2),  # zero-width space
        ("\ufeff王小明", "U+FEFF", 1),  # byte order mark
        ("王\u200e小明", "U+200E", 2),  # left-to-right mark
        ("王\u00ad小明", "U+00AD", 2),  # soft hyphen
        ("王\x1b[31m小明", "U+001B", 2),  # terminal escape
        ("王\u2028小明", "U+2028", 2),  # line separator
        ("\u3164", "U+3164", 1),  # Hangul filler: a name that looks empty
    ],
)
def test_invisible_and_bidi_characters_are_refused_with_where(typed, character, position):
    assert _errors({"name": typed}) == {
        "name": [
            {
                "message": f"Remove the invisible or text-direction character {character} "
                f"(character {position}): it hides or reverses the text around it.",
                "code": "invisible",
            }
        ]
    }


def test_text_of_only_joiners_is_refused():
    assert _errors({"name": "\u200d\u200c\ufe0f"}) == {
        "name": [
            {
                "message": "Enter visible text: this holds only spaces or invisible characters.",
                "code": "invisible",
            }
        ]
    }


@pytest.mark.parametrize(
    "typed",
    ["王小明", "Wang Xiaoming", "👨\u200d👩\u200d👧 志愿者", "❤\ufe0f", "第一行\r\n第二行\t完"],
)
def test_ordinary_text_emoji_and_line_breaks_pass(typed):
    assert _errors({"name": "王小明", "note": typed}) == {}


def test_every_text_field_is_checked_the_late_one_too_but_not_passwords():
    errors = _errors({"name": "王小明", "note": "\u202e", "late": "\u200b", "password": "\u202e1"})

    assert sorted(errors) == ["late", "note"]


def _portal_form_classes() -> list[type]:
    found = set()
    for package_name in PORTAL_PACKAGES:
        package = importlib.import_module(package_name)
        for module_info in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            if ".migrations" in module_info.name or module_info.name.endswith("gunicorn.conf"):
                continue
            module = importlib.import_module(module_info.name)
            for _name, value in inspect.getmembers(module, inspect.isclass):
                if value.__module__ == module.__name__ and issubclass(value, forms.BaseForm):
                    found.add(value)
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def test_every_form_of_the_portal_checks_its_text():
    """A new form that derives from Django's Form rather than PortalForm fails here."""
    classes = _portal_form_classes()
    unchecked = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in classes
        if not issubclass(cls, VisibleTextMixin)
    ]

    assert unchecked == []
    assert len(classes) >= 40
