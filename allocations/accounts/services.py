"""State changes of the accounts area: organisations, memberships, invitations, roles.

Every function fetches and authorises, guards the source state, changes, writes one
audit event and schedules side effects after commit.
"""

from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext_lazy as _

from allocations.accounts.identifiers import validate_bin
from allocations.accounts.models import (
    Invitation,
    InvitationState,
    Membership,
    MembershipRole,
    Organisation,
    Role,
    RoleGrant,
    User,
)
from allocations.core import audit
from allocations.core.notifications import notify
from allocations.core.permissions import Capability, require

BIN_TAKEN_MESSAGE = _(
    "An organisation with this BIN is already registered. Ask one of its owners to invite you."
)


# --- Organisations -------------------------------------------------------------------


def clean_organisation_identity(*, country: str, bin: str | None) -> str | None:
    """The BIN to store for this country, or ValidationError keyed by field.

    Residents (KZ) must give a valid BIN; non-residents have none.
    """
    value = "".join((bin or "").split())
    if country == "KZ":
        if not value:
            raise ValidationError(
                {"bin": _("A BIN is required for organisations registered in Kazakhstan.")}
            )
        try:
            validate_bin(value)
        except ValidationError as error:
            raise ValidationError({"bin": error.messages}) from error
        return value
    if value:
        raise ValidationError(
            {
                "bin": _(
                    "Only organisations registered in Kazakhstan have a BIN. Leave it empty "
                    "or choose Kazakhstan as the country."
                )
            }
        )
    return None


def _guard_bin_free(bin_value: str | None, *, exclude_pk: int | None = None) -> None:
    if not bin_value:
        return
    taken = Organisation.objects.filter(bin=bin_value)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"bin": BIN_TAKEN_MESSAGE}, code="bin_taken")


def _save_guarding_bin(organisation: Organisation) -> None:
    """Save; a concurrent registration of the same BIN becomes a form error, not a 500."""
    try:
        with transaction.atomic():
            organisation.save()
    except IntegrityError as error:
        raise ValidationError({"bin": BIN_TAKEN_MESSAGE}, code="bin_taken") from error


@transaction.atomic
def register_organisation(
    *, actor: User, legal_name: str, bin: str | None, category: str, country: str, address: str
) -> Organisation:
    """Create an organisation; its creator becomes its first owner."""
    require(actor, Capability.APPLY)
    bin_value = clean_organisation_identity(country=country, bin=bin)
    _guard_bin_free(bin_value)
    organisation = Organisation(
        legal_name=legal_name.strip(),
        bin=bin_value,
        category=category,
        country=country,
        address=address.strip(),
        created_by=actor,
    )
    _save_guarding_bin(organisation)
    Membership.objects.create(organisation=organisation, user=actor, role=MembershipRole.OWNER)
    audit.record(
        actor=actor,
        verb="organisation.registered",
        target=organisation,
        data={"bin": bin_value or "", "country": country, "category": category},
    )
    return organisation


def _owned_organisation(*, actor: User, organisation_id: int, lock: bool = False) -> Organisation:
    """The organisation if `actor` owns it; 404 for non-members, 403 for other members."""
    queryset = Organisation.objects.select_for_update() if lock else Organisation.objects
    organisation = queryset.filter(pk=organisation_id, memberships__user=actor).first()
    if organisation is None:
        raise Http404
    if not Membership.objects.filter(
        organisation=organisation, user=actor, role=MembershipRole.OWNER
    ).exists():
        raise PermissionDenied
    return organisation


@transaction.atomic
def update_organisation(
    *,
    actor: User,
    organisation_id: int,
    legal_name: str,
    bin: str | None,
    category: str,
    country: str,
    address: str,
) -> Organisation:
    organisation = _owned_organisation(actor=actor, organisation_id=organisation_id, lock=True)
    bin_value = clean_organisation_identity(country=country, bin=bin)
    _guard_bin_free(bin_value, exclude_pk=organisation.pk)
    new_values = {
        "legal_name": legal_name.strip(),
        "bin": bin_value,
        "category": category,
        "country": country,
        "address": address.strip(),
    }
    changes = {
        name: [getattr(organisation, name) or "", value or ""]
        for name, value in new_values.items()
        if getattr(organisation, name) != value
    }
    for name, value in new_values.items():
        setattr(organisation, name, value)
    _save_guarding_bin(organisation)
    audit.record(
        actor=actor, verb="organisation.updated", target=organisation, data={"changes": changes}
    )
    return organisation


# --- Memberships ---------------------------------------------------------------------


def _lock_memberships(organisation_id: int) -> list[Membership]:
    """All memberships of one organisation, locked so that owner counts cannot race."""
    return list(
        Membership.objects.select_for_update()
        .filter(organisation_id=organisation_id)
        .order_by("pk")
    )


def _guard_not_last_owner(memberships: list[Membership], target: Membership) -> None:
    owners = [m for m in memberships if m.role == MembershipRole.OWNER]
    if target.role == MembershipRole.OWNER and len(owners) <= 1:
        raise ValidationError(
            _("An organisation needs at least one owner. Make another member an owner first."),
            code="last_owner",
        )


@transaction.atomic
def change_member_role(
    *, actor: User, organisation_id: int, membership_id: int, role: str
) -> Membership:
    _owned_organisation(actor=actor, organisation_id=organisation_id)
    membership = Membership.objects.filter(
        pk=membership_id, organisation_id=organisation_id
    ).first()
    if membership is None:
        raise Http404
    locked = _lock_memberships(membership.organisation_id)
    target = next(m for m in locked if m.pk == membership.pk)
    if role not in MembershipRole.values:
        raise ValidationError(_("Choose a valid role."), code="invalid_role")
    if target.role == role:
        return target
    if role != MembershipRole.OWNER:
        _guard_not_last_owner(locked, target)
    previous = target.role
    target.role = role
    target.save(update_fields=["role"])
    audit.record(
        actor=actor,
        verb="membership.role_changed",
        target=target.organisation,
        from_state=previous,
        to_state=role,
        data={"user_id": target.user_id, "email": target.user.email},
    )
    return target


@transaction.atomic
def remove_member(*, actor: User, organisation_id: int, membership_id: int) -> Membership:
    """An owner removes someone, or a member removes themself (leaving)."""
    membership = (
        Membership.objects.select_related("user", "organisation")
        .filter(pk=membership_id, organisation_id=organisation_id)
        .first()
    )
    leaving = membership is not None and membership.user_id == actor.pk
    if not leaving:
        # Non-owners learn nothing about other people's memberships.
        _owned_organisation(actor=actor, organisation_id=organisation_id)
    if membership is None:
        raise Http404
    locked = _lock_memberships(membership.organisation_id)
    target = next((m for m in locked if m.pk == membership.pk), None)
    if target is None:
        raise Http404
    _guard_not_last_owner(locked, target)
    target.delete()
    audit.record(
        actor=actor,
        verb="membership.left" if leaving else "membership.removed",
        target=membership.organisation,
        from_state=membership.role,
        data={"user_id": membership.user_id, "email": membership.user.email},
    )
    return membership


@transaction.atomic
def leave_organisation(*, actor: User, organisation_id: int) -> None:
    membership = Membership.objects.filter(organisation_id=organisation_id, user=actor).first()
    if membership is None:
        raise Http404
    remove_member(actor=actor, organisation_id=organisation_id, membership_id=membership.pk)


# --- Invitations ---------------------------------------------------------------------


@transaction.atomic
def invite_member(
    *, actor: User, organisation_id: int, email: str, role: str, language: str
) -> Invitation:
    """Invite an e-mail address; the e-mail goes out in `language` (the inviter's)."""
    organisation = _owned_organisation(actor=actor, organisation_id=organisation_id, lock=True)
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
    _owned_organisation(actor=actor, organisation_id=organisation_id)
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


# --- Global roles (staff administration) ------------------------------------------------


GRANTABLE_ROLES = [(value, label) for value, label in Role.choices if value != Role.APPLICANT]


@transaction.atomic
def grant_role(*, actor: User, user_id: int, role: str) -> RoleGrant:
    require(actor, Capability.MANAGE_USERS)
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise Http404
    if role not in dict(GRANTABLE_ROLES):
        raise ValidationError({"role": _("Choose a valid role.")})
    if RoleGrant.objects.filter(user=user, role=role).exists():
        raise ValidationError({"role": _("This person already holds that role.")})
    grant = RoleGrant.objects.create(user=user, role=role)
    audit.record(actor=actor, verb="role.granted", target=user, to_state=role)
    return grant


@transaction.atomic
def revoke_role(*, actor: User, user_id: int, role: str) -> None:
    require(actor, Capability.MANAGE_USERS)
    grant = RoleGrant.objects.select_related("user").filter(user_id=user_id, role=role).first()
    if grant is None:
        raise Http404
    if grant.user_id == actor.pk and role == Role.ADMIN:
        raise ValidationError(
            _("You cannot revoke your own administrator role; ask another administrator."),
            code="own_admin",
        )
    grant.delete()
    audit.record(actor=actor, verb="role.revoked", target=grant.user, from_state=role)
