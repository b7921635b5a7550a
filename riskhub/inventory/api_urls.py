"""API routes of the inventory app, included under /api/v1/ by riskhub/api/urls.py."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from riskhub.inventory import api
from riskhub.inventory.mlflow import api as mlflow_api

router = SimpleRouter(trailing_slash=True)
router.register("assets", api.AssetViewSet, basename="asset")
router.register("asset-links", api.AssetLinkViewSet, basename="asset-link")
router.register("import-jobs", api.ImportJobViewSet, basename="import-job")
router.register("mlflow-registries", mlflow_api.ModelRegistryViewSet, basename="mlflow-registry")

urlpatterns = [
    path(
        "assets/<uuid:asset_uuid>/classification/",
        api.ClassificationView.as_view(),
        name="asset-classification",
    ),
    path("organisation/", api.OrganisationView.as_view(), name="organisation"),
    path("", include(router.urls)),
]
