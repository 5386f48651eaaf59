"""The portal's admin site: Django's, with its "view on site" shortcut scoped.

Django's shortcut (/admin/r/<content type>/<id>/) looks the record up unscoped and redirects
to its page, so a clerk typing another community's return learned that it exists, with its
community and month, from the redirect. Here it answers 404, as the admin's own pages do,
unless the record's admin shows that user that record (its get_queryset: the scope of
communities.permissions for the portal's models).
"""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.http import Http404
from django.urls import path
from django.utils.translation import gettext_noop

# Texts of Django 5.2's admin templates that Django's Chinese catalogue lacks: the screen-reader
# headings of the app list, the hidden "Error:" before each message, the login page's hint.
# Named here so that makemessages keeps them in the portal's catalogue (locale/), which Django
# reads before its own.
ADMIN_TEXTS = (
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("Error:"),
    gettext_noop("Forgotten your login credentials?"),
    # Django's own texts, with its typographic apostrophes.
    gettext_noop(
        "After you’ve created a user, you’ll be able to edit more user options."  # noqa: RUF001
    ),
    gettext_noop("In case you’ve forgotten, you are:"),  # noqa: RUF001
)


class PortalAdminSite(admin.AdminSite):
    def get_urls(self):
        urls = [url for url in super().get_urls() if getattr(url, "name", None) != "view_on_site"]
        scoped = path(
            "r/<int:content_type_id>/<path:object_id>/",
            self.admin_view(self.view_on_site),
            name="view_on_site",
        )
        return [scoped, *urls]

    def view_on_site(self, request, content_type_id, object_id):
        """Redirect to the record's page on the portal if its admin shows it to this user;
        404 otherwise (no such type, no admin for it, or a record outside the scope)."""
        try:
            model = ContentType.objects.get_for_id(content_type_id).model_class()
        except ContentType.DoesNotExist as missing:
            raise Http404 from missing
        model_admin = self._registry.get(model)
        if model_admin is None or not model_admin.has_view_or_change_permission(request):
            raise Http404
        # The admin's own lookup through its scoped queryset (ScopedModelAdmin raises 404).
        obj = model_admin.get_object(request, unquote(object_id))
        if obj is None or not model_admin.has_view_or_change_permission(request, obj):
            raise Http404
        return shortcut(request, content_type_id, object_id)
