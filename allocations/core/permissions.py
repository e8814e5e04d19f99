"""What each role may do, in one table, and helpers to check it.

Views ask for a capability, never for a role, so that the "what may I do" page and
the checks cannot drift apart.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _

from allocations.accounts.models import STAFF_ROLES, Role


class Capability(models.TextChoices):
    APPLY = "apply", _("Register organisations, create projects and apply for GPU-hours")
    REVIEW = "review", _("Review applications you are assigned to")
    ASSESS = "assess", _("Assess the technical feasibility of applications")
    VIEW_APPLICATIONS = "view_applications", _("See all submitted applications and their history")
    MANAGE_CALLS = "manage_calls", _("Define resources, calls, rubrics and capacity")
    DECIDE = "decide", _("Screen, rank and decide on applications")
    MANAGE_BILLING = "manage_billing", _("Manage tariffs, invoices and finance exports")
    MANAGE_IMPORTS = "manage_imports", _("Review duty-free import cases")
    MANAGE_USERS = "manage_users", _("Grant roles and administer the portal")
    READ_MAILBOX = "read_mailbox", _("Read the development mailbox")
    VIEW_USAGE = "view_usage", _("See the usage of every allocation and the centre's utilisation")
    OPERATE_SCHEDULER = (
        "operate_scheduler",
        _("See scheduler sync health, retry operations and reconcile with the cluster"),
    )


ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    Role.APPLICANT: frozenset({Capability.APPLY}),
    Role.REVIEWER: frozenset({Capability.REVIEW}),
    Role.TECHNICAL_ASSESSOR: frozenset(
        {Capability.ASSESS, Capability.VIEW_APPLICATIONS, Capability.VIEW_USAGE}
    ),
    Role.CALL_MANAGER: frozenset(
        {
            Capability.MANAGE_CALLS,
            Capability.VIEW_APPLICATIONS,
            Capability.DECIDE,
            Capability.READ_MAILBOX,
            Capability.OPERATE_SCHEDULER,
            Capability.VIEW_USAGE,
        }
    ),
    Role.FINANCE: frozenset({Capability.MANAGE_BILLING, Capability.VIEW_USAGE}),
    Role.IMPORT_DESK: frozenset({Capability.MANAGE_IMPORTS}),
    Role.ADMIN: frozenset(Capability.values),
}


def roles_of(user) -> frozenset[str]:
    """Every authenticated user is an applicant; other roles come from RoleGrant rows.

    The result is cached on the user object for the length of the request.
    """
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_portal_roles", None)
    if cached is None:
        granted = set(user.role_grants.values_list("role", flat=True))
        if user.is_superuser:
            granted.add(Role.ADMIN)
        cached = frozenset({Role.APPLICANT, *granted})
        user._portal_roles = cached
    return cached


def capabilities_of(user) -> frozenset[str]:
    caps: set[str] = set()
    for role in roles_of(user):
        caps |= ROLE_CAPABILITIES.get(role, frozenset())
    return frozenset(caps)


def has_capability(user, capability: str) -> bool:
    return capability in capabilities_of(user)


def has_staff_role(user) -> bool:
    return bool(roles_of(user) & STAFF_ROLES)


def require(user, capability: str) -> None:
    """Raise PermissionDenied unless the user has the capability (for services)."""
    if not has_capability(user, capability):
        raise PermissionDenied


def capability_required(capability: str):
    """View decorator: anonymous users go to login, others without the capability get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_capability(request.user, capability):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
