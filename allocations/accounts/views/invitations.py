"""Inviting people to an organisation, revoking, and accepting by e-mailed link."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from allocations.accounts import invitation_services, selectors
from allocations.accounts.forms import InvitationForm
from allocations.core.permissions import Capability, capability_required
from allocations.core.web import errors_to_messages

# Read by PortalAccountAdapter.get_login_redirect_url to come back here after login.
PENDING_INVITATION_SESSION_KEY = "pending_invitation_token"


@capability_required(Capability.APPLY)
def invitation_create(request, pk: int):
    organisation = selectors.owned_organisation(user=request.user, organisation_id=pk)
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invitation_services.invite_member(
                actor=request.user,
                organisation_id=pk,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                language=translation.get_language(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("An invitation has been sent to %(email)s.") % {"email": invitation.email},
            )
            return redirect("accounts:organisation_detail", pk)
    return render(
        request, "accounts/invitation_form.html", {"form": form, "organisation": organisation}
    )


@capability_required(Capability.APPLY)
@require_POST
def invitation_revoke(request, pk: int, invitation_pk: int):
    try:
        invitation_services.revoke_invitation(
            actor=request.user, organisation_id=pk, invitation_id=invitation_pk
        )
    except ValidationError as error:
        errors_to_messages(request, error)
    else:
        messages.success(request, _("The invitation is revoked."))
    return redirect("accounts:organisation_detail", pk)


def invitation_accept(request, token: str):
    """Open to anyone holding the link; visitors sign up or sign in first, then return."""
    context = selectors.invitation_landing(user=request.user, token=token, now=timezone.now())
    if not request.user.is_authenticated:
        if context["problem"]:
            return render(request, "accounts/invitation_accept.html", context)
        request.session[PENDING_INVITATION_SESSION_KEY] = token
        messages.info(
            request,
            _("Sign in or create an account with %(email)s to accept the invitation.")
            % {"email": context["invitation"].email},
        )
        return redirect("account_login" if context["invitee_has_account"] else "account_signup")
    if request.method == "POST" and not context["problem"]:
        try:
            membership = invitation_services.accept_invitation(
                actor=request.user, token=token, now=timezone.now()
            )
        except ValidationError as error:
            context["problem"] = error.messages[0]
        else:
            messages.success(
                request,
                _("Welcome to %(organisation)s.") % {"organisation": membership.organisation},
            )
            return redirect("accounts:organisation_detail", membership.organisation_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "accounts/invitation_accept.html", context, status=status)
