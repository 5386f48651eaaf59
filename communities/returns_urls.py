"""Monthly returns, under /returns/. The fixed paths come before /returns/<code>/<month>/."""

from communities import returns_io_views, returns_report_views, returns_views

urlpatterns = [
    *returns_io_views.urlpatterns,
    *returns_report_views.urlpatterns,
    *returns_views.urlpatterns,
]
