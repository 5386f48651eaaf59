from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from chunan_community import bench_load, dashboard_views, language_views, views

admin.site.site_header = _("Chun'an community-building portal: administration")
admin.site.site_title = _("Chun'an community-building portal")
admin.site.index_title = _("Registry administration")

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/language/<slug:code>/", language_views.switch_language, name="switch_language"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("manage/dashboard/", dashboard_views.county_dashboard, name="dashboard"),
    path("", include("communities.urls")),
    path("returns/", include("communities.returns_urls")),
    path("ratings/", include("ratings.urls")),
    path("services/", include("services.urls")),
]

# The benchmark's yardstick (make bench, docs/performance.md): absent unless CHUNAN_BENCH_VIEWS.
if bench_load.views_enabled():
    urlpatterns.append(path("bench/minimal", bench_load.minimal, name="bench_minimal"))
