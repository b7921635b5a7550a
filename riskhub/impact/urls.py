from django.urls import path

from riskhub.impact import views

app_name = "impact"

urlpatterns = [
    path("", views.index, name="index"),
    path("asset/<uuid:asset_uuid>/", views.asset, name="asset"),
    path("asset/<uuid:asset_uuid>/start/", views.start, name="start"),
    path("<uuid:uuid>/", views.detail, name="detail"),
    path("<uuid:uuid>/edit/", views.edit, name="edit"),
    path("<uuid:uuid>/submit/", views.submit, name="submit"),
    path("<uuid:uuid>/approve/", views.approve, name="approve"),
    path("<uuid:uuid>/return/", views.return_for_changes, name="return"),
]
