from allauth.account.adapter import DefaultAccountAdapter
from django.urls import reverse


class PortalAccountAdapter(DefaultAccountAdapter):
    """Sends people to their dashboard after login, or to a pending invitation."""

    def get_login_redirect_url(self, request):
        pending = request.session.pop("pending_invitation_token", None)
        if pending:
            return reverse("accounts:invitation_accept", args=[pending])
        return super().get_login_redirect_url(request)
