"""Staff must enrol a TOTP authenticator before using the portal."""

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from allocations.core.permissions import has_staff_role

# Paths a staff member without MFA may still reach: enrolment itself, logout,
# language switching and static files.
_ALLOWED_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/healthz")


class StaffMfaRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._must_enrol(request):
            return redirect(f"{reverse('mfa_activate_totp')}?next={request.get_full_path()}")
        return self.get_response(request)

    @staticmethod
    def _must_enrol(request) -> bool:
        if not getattr(settings, "PORTAL_STAFF_MFA_REQUIRED", True):
            return False
        user = request.user
        if not user.is_authenticated or request.path.startswith(_ALLOWED_PREFIXES):
            return False
        if not has_staff_role(user):
            return False
        return not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
