from django.urls import path

from riskhub.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("request/", views.request_report, name="request"),
    path("verify/", views.verify, name="verify"),
    path("schedules/", views.schedule_create, name="schedule_create"),
    path("schedules/<uuid:uuid>/delete/", views.schedule_delete, name="schedule_delete"),
    path("<uuid:uuid>/", views.detail, name="detail"),
    path("<uuid:uuid>/status/", views.status, name="status"),
    path("<uuid:uuid>/download/", views.download, name="download"),
    path("<uuid:uuid>/rerun/", views.rerun, name="rerun"),
    path("<uuid:uuid>/approve/", views.approve, name="approve"),
]
