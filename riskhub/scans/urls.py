from django.urls import path

from riskhub.scans import views

app_name = "scans"
urlpatterns = [
    path("", views.run_list, name="list"),
    path("runs/<uuid:run_uuid>/", views.run_detail, name="run"),
    path("assets/<uuid:asset_uuid>/import/", views.import_upload, name="import"),
    path("assets/<uuid:asset_uuid>/tab/", views.asset_tab, name="asset_tab"),
]
