"""The root URLconf. It names each part's URL module by its dotted path, so that the floor
imports none of the apps: the pages that span the apps are in portal.urls, the operations
tooling's in operations.urls."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from chunan_community import accounts, language_views

admin.site.site_header = _("Chun'an community-building portal: administration")
admin.site.site_title = _("Chun'an community-building portal")
admin.site.index_title = _("Registry administration")

urlpatterns = [
    path("", include("portal.urls")),
    path("accounts/login/", accounts.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("notifications.account_urls")),
    path("", include("notifications.urls")),
    path("i18n/language/<slug:code>/", language_views.switch_language, name="switch_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("communities.urls")),
    path("returns/", include("communities.returns.urls")),
    path("ratings/", include("ratings.urls")),
    path("services/", include("services.urls")),
    path("", include("reports.urls")),
    path("", include("operations.urls")),
]
