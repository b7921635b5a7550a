from django.urls import path

from riskhub.inventory.mlflow import views

app_name = "mlflow"
urlpatterns = [
    path("", views.index, name="index"),
    path("registries/new/", views.registry_create, name="registry_create"),
    path("registries/<uuid:registry_uuid>/edit/", views.registry_edit, name="registry_edit"),
    path("registries/<uuid:registry_uuid>/sync/", views.sync_now, name="sync_now"),
    path("runs/<uuid:run_uuid>/", views.run_detail, name="run"),
    path("deleted-upstream/", views.flagged, name="flagged"),
    path(
        "deleted-upstream/<uuid:asset_uuid>/archive/",
        views.confirm_archive,
        name="confirm_archive",
    ),
]
