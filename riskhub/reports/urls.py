from django.urls import path

from riskhub.reports import public, views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
    path("request/", views.request_report, name="request"),
    path("verify/", views.verify, name="verify"),
    # No login: an outsider checks a report and the deployment's signing certificate.
    path("check/", public.verify_page, name="public_verify"),
    path("signing-certificate/", public.signing_certificate, name="signing_certificate"),
    path(
        "signing-certificate/<str:which>.pem",
        public.signing_certificate_pem,
        name="signing_certificate_pem",
    ),
    path("schedules/", views.schedule_create, name="schedule_create"),
    path("schedules/<uuid:uuid>/delete/", views.schedule_delete, name="schedule_delete"),
    path("<uuid:uuid>/", views.detail, name="detail"),
    path("<uuid:uuid>/status/", views.status, name="status"),
    path("<uuid:uuid>/download/", views.download, name="download"),
    path("<uuid:uuid>/rerun/", views.rerun, name="rerun"),
    path("<uuid:uuid>/approve/", views.approve, name="approve"),
]
