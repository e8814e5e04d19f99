from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
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
        pending = request.session.pop("pending_invitation_token", None)
        if pending:
            return reverse("accounts:invitation_accept", args=[pending])
        return super().get_login_redirect_url(request)
