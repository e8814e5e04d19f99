"""Invitations: owners invite an e-mail address; the person behind it accepts by link.

Same rules as services.py: fetch and authorise, guard the state, change, one audit event,
side effects after commit.
"""

from allauth.account.models import EmailAddress
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext_lazy as _

from allocations.accounts.models import (
    Invitation,
    InvitationState,
    Membership,
    MembershipRole,
    User,
)
from allocations.accounts.services import require_owner
from allocations.core import audit
from allocations.core.notifications import notify


@transaction.atomic
def invite_member(
    *, actor: User, organisation_id: int, email: str, role: str, language: str
) -> Invitation:
    """Invite an e-mail address; the e-mail goes out in `language` (the inviter's)."""
    organisation = require_owner(actor=actor, organisation_id=organisation_id, lock=True)
    address = email.strip().lower()
    if role not in MembershipRole.values:
        raise ValidationError({"role": _("Choose a valid role.")})
    if Membership.objects.filter(organisation=organisation, user__email__iexact=address).exists():
        raise ValidationError({"email": _("This person is already a member.")})
    if Invitation.objects.filter(
        organisation=organisation, email__iexact=address, state=InvitationState.PENDING
    ).exists():
        raise ValidationError(
            {"email": _("An invitation to this address is already pending. Revoke it first.")}
        )
    invitation = Invitation.objects.create(
        organisation=organisation, email=address, role=role, invited_by=actor
    )
    audit.record(
        actor=actor,
        verb="invitation.created",
        target=invitation,
        to_state=InvitationState.PENDING,
        data={"organisation_id": organisation.pk, "email": address, "role": role},
    )
    with translation.override(language):
        context = {
            "organisation": organisation.legal_name,
            "inviter": str(actor),
            "role": str(MembershipRole(role).label),
            "accept_path": reverse("accounts:invitation_accept", args=[invitation.token]),
            "expires": formats.date_format(invitation.expires_at, "DATE_FORMAT"),
        }
    notify(to=[address], template="invitation", context=context, language=language)
    return invitation


@transaction.atomic
def revoke_invitation(*, actor: User, organisation_id: int, invitation_id: int) -> Invitation:
    require_owner(actor=actor, organisation_id=organisation_id)
    invitation = (
        Invitation.objects.select_for_update()
        .filter(pk=invitation_id, organisation_id=organisation_id)
        .first()
    )
    if invitation is None:
        raise Http404
    if invitation.state != InvitationState.PENDING:
        raise ValidationError(_("Only a pending invitation can be revoked."), code="not_pending")
    invitation.state = InvitationState.REVOKED
    invitation.save(update_fields=["state"])
    audit.record(
        actor=actor,
        verb="invitation.revoked",
        target=invitation,
        from_state=InvitationState.PENDING,
        to_state=InvitationState.REVOKED,
    )
    return invitation


_UNUSABLE_MESSAGES = {
    InvitationState.ACCEPTED: _("This invitation has already been used."),
    InvitationState.REVOKED: _("This invitation was revoked. Ask the organisation for a new one."),
    InvitationState.EXPIRED: _("This invitation has expired. Ask the organisation for a new one."),
}


def guard_invitation_usable(invitation: Invitation, *, now) -> None:
    """ValidationError with a clear reason when the invitation can no longer be accepted."""
    if invitation.state != InvitationState.PENDING:
        raise ValidationError(_UNUSABLE_MESSAGES[invitation.state], code=invitation.state)
    if invitation.expires_at <= now:
        raise ValidationError(_UNUSABLE_MESSAGES[InvitationState.EXPIRED], code="expired")


def guard_invitee(invitation: Invitation, *, user: User) -> None:
    """ValidationError unless `user` has verified the invited address and is not a member."""
    if not EmailAddress.objects.filter(
        user=user, email__iexact=invitation.email, verified=True
    ).exists():
        raise ValidationError(
            _(
                "This invitation was sent to %(email)s. Sign in with that address, or add and "
                "verify it in your e-mail settings, then open the link again."
            ),
            code="wrong_email",
            params={"email": invitation.email},
        )
    if Membership.objects.filter(organisation_id=invitation.organisation_id, user=user).exists():
        raise ValidationError(
            _("You are already a member of this organisation."), code="already_member"
        )


@transaction.atomic
def accept_invitation(*, actor: User, token: str, now) -> Membership:
    """Join the organisation if `actor` owns the invited, verified e-mail address."""
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("organisation")
        .filter(token=token)
        .first()
    )
    if invitation is None:
        raise Http404
    guard_invitation_usable(invitation, now=now)
    guard_invitee(invitation, user=actor)
    membership = Membership.objects.create(
        organisation=invitation.organisation, user=actor, role=invitation.role
    )
    invitation.state = InvitationState.ACCEPTED
    invitation.accepted_by = actor
    invitation.save(update_fields=["state", "accepted_by"])
    audit.record(
        actor=actor,
        verb="invitation.accepted",
        target=invitation,
        from_state=InvitationState.PENDING,
        to_state=InvitationState.ACCEPTED,
        data={"organisation_id": invitation.organisation_id, "role": invitation.role},
    )
    return membership


@transaction.atomic
def expire_invitations(*, now) -> int:
    """Mark pending invitations past their expiry as expired; safe to run repeatedly."""
    overdue = list(
        Invitation.objects.select_for_update(skip_locked=True).filter(
            state=InvitationState.PENDING, expires_at__lte=now
        )
    )
    for invitation in overdue:
        invitation.state = InvitationState.EXPIRED
        invitation.save(update_fields=["state"])
        audit.record(
            actor=None,
            verb="invitation.expired",
            target=invitation,
            from_state=InvitationState.PENDING,
            to_state=InvitationState.EXPIRED,
        )
    return len(overdue)
