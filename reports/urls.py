"""The published reports (统计信息) under /statistics/, and staff's reports under
/manage/statistics/."""

from django.urls import path

from reports import views

app_name = "reports"
urlpatterns = [
    path("statistics/", views.publication_list, name="publications"),
    path("statistics/<int:pk>/", views.publication, name="publication"),
    path("statistics/<int:pk>/print/", views.publication_print, name="publication_print"),
    path("statistics/<int:pk>/report.xlsx", views.publication_xlsx, name="publication_xlsx"),
    path("statistics/<int:pk>/report.docx", views.publication_docx, name="publication_docx"),
    path("manage/statistics/", views.manage, name="manage"),
    path("manage/statistics/<str:kind>/", views.report, name="report"),
    path("manage/statistics/<str:kind>/print/", views.report_print, name="report_print"),
    path("manage/statistics/<str:kind>/publish/", views.report_publish, name="report_publish"),
    path("manage/statistics/<str:kind>.xlsx", views.report_xlsx, name="report_xlsx"),
    path("manage/statistics/<str:kind>.docx", views.report_docx, name="report_docx"),
]
