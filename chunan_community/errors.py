"""The error summary at the top of a rejected form: every page's forms list their errors the
same way, each linking to the input it concerns."""

from django.forms.forms import NON_FIELD_ERRORS
from django.utils.translation import gettext as _


def error_summary(form, *, row: int | None = None, link_form_errors: bool = False) -> list[dict]:
    """Each error of a bound form as {"id", "text"}: "<field label>: <message>" with the id of
    the input to jump to (the first box of a group of boxes or radio buttons).

    Form-wide errors link nowhere, or to the form's first field with `link_form_errors`;
    `row` prefixes every text with "Row N, " (one form of a formset).
    """
    summary = []
    # Form-wide errors first, then the fields' in the form's order.
    for name in sorted(form.errors, key=lambda name: name != NON_FIELD_ERRORS):
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


class Refused(Exception):
    """A domain rule refused the action; the message says why, in the user's language."""
