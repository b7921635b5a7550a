from django.urls import path

from riskhub.compliance import views

app_name = "compliance"
urlpatterns = [
    path("", views.index, name="index"),
    path("frameworks/<slug:slug>/", views.framework_detail, name="framework"),
    path("controls/", views.control_list, name="controls"),
    path("controls/<uuid:control_uuid>/", views.control_detail, name="control"),
    path("threats/<str:code>/", views.threat, name="threat"),
    path("crosswalk/", views.crosswalk, name="crosswalk"),
    path("gaps/", views.gaps, name="gaps"),
    path("asset/<uuid:asset_uuid>/tab/", views.asset_tab, name="asset_tab"),
    path("implementations/", views.implementation_list, name="implementations"),
    path("implementations/new/", views.implementation_create, name="implementation_create"),
    path(
        "implementations/<uuid:implementation_uuid>/",
        views.implementation_detail,
        name="implementation_detail",
    ),
    path(
        "implementations/<uuid:implementation_uuid>/edit/",
        views.implementation_edit,
        name="implementation_edit",
    ),
    path(
        "implementations/<uuid:implementation_uuid>/evidence/",
        views.evidence_upload,
        name="evidence_upload",
    ),
    path(
        "evidence/<uuid:evidence_uuid>/download/", views.evidence_download, name="evidence_download"
    ),
]
