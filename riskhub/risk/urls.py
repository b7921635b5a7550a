from django.urls import path

from riskhub.risk import views

app_name = "risk"
urlpatterns = [
    path("", views.index, name="index"),
    path("asset/<uuid:asset_uuid>/tab/", views.asset_tab, name="asset_tab"),
]
