"""`{% error_summary_of form as error_summary %}`: the error summary of a form or formset
(chunan_community.errors) for a page whose view passes only the form, shown with
_error_summary.html like every other. `link_form_errors=True` links form-wide errors to the
form's first field."""

from django import template
from django.forms.formsets import BaseFormSet

from chunan_community.errors import error_summary, formset_error_summary

register = template.Library()


@register.simple_tag
def error_summary_of(form, link_form_errors=False) -> list[dict]:
    if not form or not form.is_bound:
        return []
    if isinstance(form, BaseFormSet):
        return formset_error_summary(form, link_form_errors=link_form_errors)
    return error_summary(form, link_form_errors=link_form_errors)
