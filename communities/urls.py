from django.urls import path

from communities import views

app_name = "communities"
urlpatterns = [
    path("communities/", views.community_directory, name="directory"),
    path("communities/<slug:code>/", views.community_profile, name="profile"),
    path("manage/", views.workspace, name="workspace"),
    path("manage/communities/<slug:code>/", views.workspace_community, name="workspace_community"),
    path("manage/terms-due/", views.terms_due_list, name="terms_due"),
    path("manage/space-standard/", views.space_standard_list, name="space_standard"),
]
