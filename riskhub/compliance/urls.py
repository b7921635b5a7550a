from django.urls import path

from riskhub.compliance import views

app_name = "compliance"
urlpatterns = [
    path("", views.index, name="index"),
    path("asset/<uuid:asset_uuid>/tab/", views.asset_tab, name="asset_tab"),
]
