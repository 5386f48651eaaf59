from django.urls import path

from communities import record_views, views

app_name = "communities"
urlpatterns = [
    path("communities/", views.community_directory, name="directory"),
    path("communities/<slug:code>/", views.community_profile, name="profile"),
    path("manage/", views.workspace, name="workspace"),
    path("manage/communities/<slug:code>/", views.workspace_community, name="workspace_community"),
    # The community's record, edited in the portal section by section, and its history.
    path("manage/communities/<slug:code>/edit/basic/", record_views.edit_basic, name="edit_basic"),
    path(
        "manage/communities/<slug:code>/edit/facilities/",
        record_views.edit_facilities,
        name="edit_facilities",
    ),
    path(
        "manage/communities/<slug:code>/edit/bodies/", record_views.edit_bodies, name="edit_bodies"
    ),
    path(
        "manage/communities/<slug:code>/edit/branches/",
        record_views.edit_branches,
        name="edit_branches",
    ),
    path(
        "manage/communities/<slug:code>/edit/pairings/",
        record_views.edit_pairings,
        name="edit_pairings",
    ),
    path(
        "manage/communities/<slug:code>/edit/honours/",
        record_views.edit_honours,
        name="edit_honours",
    ),
    path(
        "manage/communities/<slug:code>/changes/",
        record_views.record_changes,
        name="record_changes",
    ),
    path("manage/terms-due/", views.terms_due_list, name="terms_due"),
    path("manage/space-standard/", views.space_standard_list, name="space_standard"),
]
