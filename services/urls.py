"""The services pages: /services/ (the hub), then per community /services/<code>/…

Each part keeps its own URL module, all in the "services" namespace.
"""

from django.urls import include, path

from services import views

app_name = "services"

urlpatterns = [
    path("", views.hub, name="hub"),
    path("commendations/", include("services.urls_public")),
    path("admission/", include("services.urls_admission")),
    path("reports/", include("services.urls_reports")),
    path("<slug:code>/", views.community_hub, name="community"),
    path("<slug:code>/volunteers/", include("services.urls_volunteers")),
    path("<slug:code>/households/", include("services.urls_households")),
    path("<slug:code>/employment/", include("services.urls_employment")),
    path("<slug:code>/tasks/", include("services.urls_tasks")),
]
