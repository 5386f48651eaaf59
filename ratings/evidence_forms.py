"""The evidence upload form: it only checks that a file and a caption arrived; what the file
is and whether it may be added is decided in ratings.uploads."""

from django import forms
from django.utils.translation import gettext_lazy

from chunan_community.forms import PortalForm


class EvidenceForm(PortalForm):
    file = forms.FileField(
        label=gettext_lazy("File"),
        # The empty file is refused by ratings.uploads, with the same message as elsewhere.
        allow_empty_file=True,
        help_text=gettext_lazy(
            "A photo (JPEG, PNG, WebP) or a document (PDF, Word .docx, Excel .xlsx). Photos "
            "are re-saved without their location and camera data."
        ),
        error_messages={"required": gettext_lazy("Choose the file to add.")},
        widget=forms.FileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf,.docx,.xlsx"}
        ),
    )
    caption = forms.CharField(label=gettext_lazy("Caption"), required=False, max_length=200)
