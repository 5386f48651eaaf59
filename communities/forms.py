from django import forms
from django.utils.translation import gettext_lazy as _

from communities.models import Township


class TermsDueForm(forms.Form):
    days = forms.IntegerField(
        label=_("Due within (days)"),
        min_value=1,
        max_value=3650,
        required=False,
        help_text=_("Terms that have already ended are always listed."),
    )
    township = forms.ModelChoiceField(
        label=_("Township"),
        queryset=Township.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("All townships"),
    )
