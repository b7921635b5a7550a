from django.urls import include, path
from rest_framework.routers import SimpleRouter

from riskhub.accounts import api as accounts_api
from riskhub.audit import api as audit_api

router = SimpleRouter(trailing_slash=True)
router.register("audit-events", audit_api.AuditEventViewSet, basename="audit-event")

urlpatterns = [
    path("me/", accounts_api.me, name="me"),
    path("", include(router.urls)),
]
