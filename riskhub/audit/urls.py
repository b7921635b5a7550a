from django.urls import path

from riskhub.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.event_list, name="list"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("export.json", views.export_json, name="export_json"),
    path("people/", views.actor_options, name="actor_options"),
    path("verify/", views.verify, name="verify"),
    path("verify/<uuid:run>/", views.verify_result, name="verify_result"),
]
