"""A rejected form's errors, the same way everywhere: the error summary at the top of a page
(each error linking to the input it concerns), a domain function's ValidationError put on the
form, and the plain-text 400 of a download whose filter cannot be used."""

from django.core.exceptions import ValidationError
from django.forms.forms import NON_FIELD_ERRORS
from django.http import HttpResponseBadRequest
from django.utils.translation import gettext as _


def error_summary(form, *, row: int | None = None, link_form_errors: bool = False) -> list[dict]:
    """Each error of a bound form as {"id", "text"}: "<field label>: <message>" with the id of
    the input to jump to (the first box of a group of boxes or radio buttons).

    Form-wide errors link nowhere, or to the form's first field with `link_form_errors`;
    `row` prefixes every text with "Row N, " (one form of a formset).
    """
    summary = []
    # Form-wide errors first, then the fields' in the form's order (not the order in which
    # clean() added them).
    order = {name: index for index, name in enumerate(form.fields)}
    for name in sorted(form.errors, key=lambda name: order.get(name, -1)):
        errors = form.errors[name]
        if name == NON_FIELD_ERRORS:
            first = next(iter(form), None) if link_form_errors else None
            target = first.auto_id if first is not None else None
        else:
            bound = form[name]
            target = bound.id_for_label or f"{bound.auto_id}_0"
        for error in errors:
            text = (
                error
                if name == NON_FIELD_ERRORS
                else _("%(field)s: %(error)s") % {"field": form[name].label, "error": error}
            )
            if row is not None:
                text = _("Row %(row)s, %(error)s") % {"row": row, "error": text}
            summary.append({"id": target, "text": text})
    return summary


def formset_error_summary(formset, *, link_form_errors: bool = False) -> list[dict]:
    """The errors of a bound formset as error_summary gives them: the formset's own first
    (too many rows, none filled), then each form's, prefixed with its row ("Row 2, …")."""
    summary = [{"id": None, "text": error} for error in formset.non_form_errors()]
    for row, form in enumerate(formset.forms, start=1):
        summary.extend(error_summary(form, row=row, link_form_errors=link_form_errors))
    return summary


def add_domain_errors(form, error: ValidationError) -> None:
    """Show a domain function's (or a model's) ValidationError on the form: on the field it
    names when the form has that field, else above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        form.add_error(name if name in form.fields else None, errors)


def errors_response(form, *, otherwise: str = "") -> HttpResponseBadRequest:
    """A 400 in plain text, a line "<field>: <message>" per error (`otherwise` when the form
    has none): for a download, which has no page to show its form on."""
    errors = "\n".join(
        f"{name}: {message}" for name, messages in form.errors.items() for message in messages
    )
    return HttpResponseBadRequest(errors or otherwise, content_type="text/plain")


class Refused(Exception):
    """A domain rule refused the action; the message says why, in the user's language."""

    @property
    def message(self) -> str:
        """The reason, as given (what the page shows)."""
        return self.args[0] if self.args else ""
