from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation


class PortalAccountAdapter(DefaultAccountAdapter):
    """Remembers the sign-up language; sends people to a pending invitation after login."""

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=False)
        language = translation.get_language() or settings.LANGUAGE_CODE
        if language in dict(settings.LANGUAGES):
            user.language = language
        if commit:
            user.save()
        return user

    def get_login_redirect_url(self, request):
        return self._pending_invitation_url(request) or super().get_login_redirect_url(request)

    def get_signup_redirect_url(self, request):
        # Used instead of the login redirect when sign-up ends in a login (after confirmation).
        return self._pending_invitation_url(request) or super().get_signup_redirect_url(request)

    @staticmethod
    def _pending_invitation_url(request) -> str | None:
        pending = request.session.pop("pending_invitation_token", None)
        if pending:
            return reverse("accounts:invitation_accept", args=[pending])
        return None

    def pre_authenticate(self, request, **credentials):
        # allauth shows "too many attempts" as a form error with HTTP 200; an HTTP 429 tells
        # scripts and proxies plainly that this address is being throttled.
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError as error:
            if error.code != "too_many_login_attempts":
                raise
            response = render(request, "account/too_many_attempts.html", status=429)
            raise ImmediateHttpResponse(response) from error
