from django.urls import path

from riskhub.risk import views

app_name = "risk"
urlpatterns = [
    path("", views.index, name="index"),
    path("register/", views.register, name="register"),
    path("register.csv", views.register_csv, name="register_csv"),
    path("review/", views.review_queue, name="review_queue"),
    path("asset/<uuid:asset_uuid>/tab/", views.asset_tab, name="asset_tab"),
    path("asset/<uuid:asset_uuid>/", views.asset_risk, name="asset"),
    path("asset/<uuid:asset_uuid>/start/", views.assessment_start, name="start"),
    path("<uuid:uuid>/", views.assessment, name="assessment"),
    path("<uuid:uuid>/edit/", views.assessment_edit, name="edit"),
    path("<uuid:uuid>/submit/", views.assessment_submit, name="submit"),
    path("<uuid:uuid>/discard/", views.assessment_discard, name="discard"),
    path("<uuid:uuid>/approve/", views.assessment_approve, name="approve"),
    path("<uuid:uuid>/return/", views.assessment_return, name="return"),
    path("risks/<uuid:uuid>/accept/", views.acceptance_create, name="accept"),
    path("acceptances/<uuid:uuid>/revoke/", views.acceptance_revoke, name="revoke"),
    path("matrices/", views.matrix_list, name="matrices"),
    path("matrices/new/", views.matrix_create, name="matrix_create"),
    path("matrices/<uuid:uuid>/", views.matrix_detail, name="matrix"),
    path("matrices/<uuid:uuid>/default/", views.matrix_make_default, name="matrix_default"),
    path("matrices/<uuid:uuid>/score/", views.score_preview, name="score"),
    path("threats/", views.threat_list, name="threats"),
]
