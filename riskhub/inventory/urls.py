from django.urls import path

from riskhub.inventory import picker, views

app_name = "inventory"
urlpatterns = [
    path("", views.asset_list, name="list"),
    path("export/<str:fmt>/", views.export, name="export"),
    path("new/", views.create, name="create"),
    path("import/", views.import_upload, name="import"),
    path("import/jobs/", views.job_list, name="jobs"),
    path("import/jobs/<uuid:job_uuid>/", views.job_detail, name="job"),
    path("import/jobs/<uuid:job_uuid>/status/", views.job_status, name="job_status"),
    path("import/jobs/<uuid:job_uuid>/errors.csv", views.job_errors, name="job_errors"),
    path("options/", views.asset_options, name="asset_options"),
    path("pick/", picker.pick, name="asset_pick"),
    path("organisation/", views.organisation, name="organisation"),
    path("organisation/edit/", views.organisation_edit, name="organisation_edit"),
    path("<uuid:asset_uuid>/", views.detail, name="detail"),
    path("<uuid:asset_uuid>/edit/", views.edit, name="edit"),
    path("<uuid:asset_uuid>/archive/", views.archive, name="archive"),
    path("<uuid:asset_uuid>/model-card/", views.model_card_edit, name="model_card_edit"),
    path("<uuid:asset_uuid>/classification/", views.classify, name="classify"),
    path("<uuid:asset_uuid>/links/", views.link_add, name="link_add"),
    path(
        "<uuid:asset_uuid>/links/<uuid:link_uuid>/delete/",
        views.link_delete,
        name="link_delete",
    ),
]
