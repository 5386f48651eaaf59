"""The services pages: /services/ (the hub), then per community /services/<code>/…

Each part keeps its own URL module, all in the "services" namespace.
"""

from django.urls import include, path

from services import views

app_name = "services"

urlpatterns = [
    path("", views.hub, name="hub"),
    path("commendations/", include("services.public_urls")),
    path("admission/", include("services.admission_urls")),
    path("reports/", include("services.reports_urls")),
    path("<slug:code>/", views.community_hub, name="community"),
    path("<slug:code>/volunteers/", include("services.volunteers_urls")),
    path("<slug:code>/households/", include("services.households_urls")),
    path("<slug:code>/employment/", include("services.employment_urls")),
    path("<slug:code>/tasks/", include("services.tasks_urls")),
]
