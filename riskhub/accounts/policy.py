"""Every permission in RiskHub, declared once.

HTML views (``@requires``), the API (``PolicyPermission``) and the permission-matrix
test all read this module. A role is one of four Django groups; a user has exactly one.
Object-level rules (an officer may edit only drafts; a reviewer may not review their
own assessment) live in the services that own the objects and are tested there.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest
from django.http.response import HttpResponseBase


class Role(models.TextChoices):
    RISK_OFFICER = "risk-officer", "Risk officer"
    EXECUTIVE = "executive", "Executive"
    AUDITOR = "auditor", "Auditor"
    ADMIN = "admin", "Admin"


ALL_ROLES = frozenset(Role)
_O, _E, _A, _ADM = Role.RISK_OFFICER, Role.EXECUTIVE, Role.AUDITOR, Role.ADMIN

# Permission -> roles that hold it. "Public" routes are marked with @public instead.
PERMISSIONS: dict[str, frozenset[Role]] = {
    # every signed-in user
    "account.self": ALL_ROLES,
    "dashboard.view": ALL_ROLES,
    "inventory.view": ALL_ROLES,
    "risk.view": ALL_ROLES,
    "compliance.view": ALL_ROLES,
    "incidents.view": ALL_ROLES,
    "reports.view": ALL_ROLES,
    "reports.request": ALL_ROLES,
    "reports.download": ALL_ROLES,
    "reports.verify": ALL_ROLES,
    # writers of the register
    "inventory.edit": frozenset({_O, _ADM}),
    "risk.edit": frozenset({_O, _ADM}),
    "compliance.edit": frozenset({_O, _ADM}),
    "incidents.edit": frozenset({_O, _ADM}),
    # decision makers
    "risk.review": frozenset({_E, _ADM}),
    "risk.accept": frozenset({_E, _ADM}),
    # Approving or returning an integrated impact assessment (riskhub.impact); nobody
    # reviews one they contributed to (riskhub.impact.services.review_refusal).
    "impact.review": frozenset({_E, _ADM}),
    # the sign-off of a generated report (not by its requester: OBJECT_RULES)
    "reports.approve": frozenset({_E, _ADM}),
    # oversight
    "audit.view": frozenset({_E, _A, _ADM}),
    # Verifying the chain is the auditors' check (and the admins'); executives read
    # the trail and its last verification but do not run one.
    "audit.verify": frozenset({_A, _ADM}),
    # Import jobs: each person sees their own; auditors and admins see everyone's.
    "imports.view_all": frozenset({_A, _ADM}),
    # administration
    "org.edit": frozenset({_ADM}),
    "users.manage": frozenset({_ADM}),
    "catalog.manage": frozenset({_ADM}),
    "tokens.manage_all": frozenset({_ADM}),
    # Outbound webhooks: registering where RiskHub sends events, their secrets and log.
    "webhooks.manage": frozenset({_ADM}),
}


# Object-level rules: who may act on an object in a given state or relation to them.
# The services that own the objects enforce them; tests/test_object_rules.py exercises
# every rule for every role through the API and reads the expected outcome from here.
OBJECT_RULES: dict[str, frozenset[Role]] = {
    # Report schedules: anyone who may request reports may schedule one; only its
    # owner or an admin may delete it (riskhub.reports.services.schedule_delete).
    "report_schedule.delete_own": ALL_ROLES,
    "report_schedule.delete_others": frozenset({_ADM}),
    # Reports: an executive or admin approves (signs off) a generated report, never one
    # they requested or whose schedule they own (riskhub.reports.services.report_approve).
    "report.approve_own": frozenset(),
    "report.approve_others": frozenset({_E, _ADM}),
    # Drafts are team work: any risk officer (or admin) may edit any draft.
    "assessment.edit_own_draft": frozenset({_O, _ADM}),
    "assessment.edit_others_draft": frozenset({_O, _ADM}),
    # An approved assessment's content never changes (a reassessment is a new version).
    "assessment.edit_approved": frozenset(),
    # Segregation of duties, not even an admin: nobody approves (or returns) a version
    # they contributed to: started, wrote the summary, wrote, changed or removed a risk,
    # or submitted it. Contributors are recorded per version (AssessmentContribution).
    "assessment.approve_own": frozenset(),
    "assessment.approve_contributed": frozenset(),
    "assessment.approve_others": frozenset({_E, _ADM}),
    # Nobody accepts a residual risk of a version they contributed to, nor a risk they
    # wrote or last changed, even when a reassessment carried it into a later version.
    "risk.accept_own_assessment": frozenset(),
    "risk.accept_contributed_assessment": frozenset(),
    "risk.accept_written": frozenset(),
    "risk.accept_last_changed": frozenset(),
    "risk.accept_others_assessment": frozenset({_E, _ADM}),
    # Bulk jobs (riskhub.inventory.jobs.can_view): a file import is seen by whoever
    # uploaded it, and by auditors and admins; a registry sync, the whole register's
    # business, by every reader, as the registry itself.
    "import_job.view_own": PERMISSIONS["inventory.view"],
    "import_job.view_others": PERMISSIONS["imports.view_all"],
    "sync_job.view_any": PERMISSIONS["inventory.view"],
}

# URL namespaces whose views are not ours to decorate (Django's admin site), with the
# permission that opens them. The permission-matrix test reads this too.
NAMESPACE_PERMISSIONS: dict[str, str] = {"admin": "users.manage"}
# Named routes in those namespaces that anyone may call (signing out does no harm).
PUBLIC_ROUTE_NAMES = frozenset({"admin:logout"})


def role_of(user: Any) -> Role | None:
    """The user's single role, or None for anonymous or role-less users."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return user.role


def has_perm(user: Any, permission: str) -> bool:
    if permission not in PERMISSIONS:
        raise KeyError(f"Unknown permission {permission!r}; declare it in policy.py")
    role = role_of(user)
    return role is not None and role in PERMISSIONS[permission]


def roles_with(permission: str) -> frozenset[Role]:
    return PERMISSIONS[permission]


def require(user: Any, permission: str) -> None:
    """Raise PermissionDenied unless the user holds the permission."""
    if not has_perm(user, permission):
        raise PermissionDenied(f"Your role may not do this ({permission}).")


V = TypeVar("V", bound=Callable[..., HttpResponseBase])


OTP_REQUIRED_SESSION_KEY = "riskhub_otp_required"
# When the session last looked at the user's devices (unix seconds); see
# riskhub.accounts.middleware.SecondFactorMiddleware.
OTP_CHECKED_SESSION_KEY = "riskhub_otp_checked"


class SecondFactorStep(models.TextChoices):
    """What a signed-in session must do before it may see anything else."""

    VERIFY = "verify", "Complete two-factor verification first."
    ENROL = "enrol", "Your role requires two-factor authentication: set it up first."


# Routes a session may still reach while a step is due (besides the API, which the
# API's own permission class gates because only it knows token from session).
SECOND_FACTOR_OPEN_ROUTES: dict[SecondFactorStep, frozenset[str]] = {
    SecondFactorStep.VERIFY: frozenset(
        {"accounts:otp_verify", "accounts:logout", "admin:logout", "healthz"}
    ),
    SecondFactorStep.ENROL: frozenset(
        {"accounts:otp_setup", "accounts:otp_verify", "accounts:logout", "admin:logout", "healthz"}
    ),
}
SECOND_FACTOR_PAGES = {
    SecondFactorStep.VERIFY: "accounts:otp_verify",
    SecondFactorStep.ENROL: "accounts:otp_setup",
}


def second_factor_step(request: Any) -> SecondFactorStep | None:
    """The step this session owes before anything else, or None.

    VERIFY: the user has a confirmed TOTP device (remembered in the session at sign-in
    and refreshed by the middleware) and this session has not passed it yet.
    ENROL: an admin without a confirmed device while ``REQUIRE_2FA_FOR_ADMINS`` is on.
    Token-authenticated API calls are not sessions: a token is created from a verified
    session, so the caller checks this only for session logins.
    """
    user = request.user
    if not user.is_authenticated:
        return None
    if hasattr(user, "is_verified") and user.is_verified():
        return None
    if request.session.get(OTP_REQUIRED_SESSION_KEY):
        return SecondFactorStep.VERIFY
    from django.conf import settings

    if settings.REQUIRE_2FA_FOR_ADMINS and role_of(user) == Role.ADMIN:
        return SecondFactorStep.ENROL
    return None


def needs_second_factor(request: Any) -> bool:
    """Signed in with a password, has a confirmed TOTP device, not yet verified."""
    return second_factor_step(request) == SecondFactorStep.VERIFY


def requires(permission: str, *, allow_unverified: bool = False) -> Callable[[V], V]:
    """Decorate an HTML view: anonymous users go to login, users with two-factor
    authentication to its check, others need the role."""
    if permission not in PERMISSIONS:
        raise KeyError(f"Unknown permission {permission!r}")

    def decorator(view: V) -> V:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                from django.contrib.auth.views import redirect_to_login

                return redirect_to_login(request.get_full_path())
            if not allow_unverified and needs_second_factor(request):
                from django.contrib.auth.views import redirect_to_login

                return redirect_to_login(request.get_full_path(), "accounts:otp_verify")
            require(request.user, permission)
            return view(request, *args, **kwargs)

        wrapper.riskhub_permission = permission  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


def public(view: V) -> V:
    """Mark a view as reachable without signing in (login, health check)."""
    view.riskhub_permission = None  # type: ignore[attr-defined]
    return view
