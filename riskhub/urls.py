from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from riskhub.accounts.policy import public
from riskhub.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz/", core_views.healthz, name="healthz"),
    path("accounts/", include("riskhub.accounts.urls")),
    path("dashboard/", include("riskhub.dashboard.urls")),
    path("inventory/mlflow/", include("riskhub.inventory.mlflow.urls")),
    path("inventory/", include("riskhub.inventory.urls")),
    path("assessments/", include("riskhub.risk.urls")),
    path("compliance/", include("riskhub.compliance.urls")),
    path("scans/", include("riskhub.scans.urls")),
    path("impact/", include("riskhub.impact.urls")),
    path("incidents/", include("riskhub.incidents.urls")),
    path("reports/", include("riskhub.reports.urls")),
    path("audit/", include("riskhub.audit.urls")),
    path("people/", include("riskhub.core.urls")),
    path("webhooks/", include("riskhub.webhooks.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", public(SpectacularAPIView.as_view()), name="schema"),
    path(
        "api/docs/",
        public(SpectacularSwaggerSplitView.as_view(url_name="schema")),
        name="swagger-ui",
    ),
    path("api/v1/", include(("riskhub.api.urls", "api"), namespace="api")),
]

handler400 = "riskhub.core.views.error_400"
handler403 = "riskhub.core.views.error_403"
handler404 = "riskhub.core.views.error_404"
handler500 = "riskhub.core.views.error_500"
