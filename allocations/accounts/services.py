"""State changes of the accounts area: organisations, memberships, global roles.

Every function fetches and authorises, guards the source state, changes, writes one
audit event and schedules side effects after commit. Invitations: invitation_services.py.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from allocations.accounts.identifiers import validate_bin
from allocations.accounts.models import (
    Membership,
    MembershipRole,
    Organisation,
    Role,
    RoleGrant,
    User,
)
from allocations.core import audit
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


def require_owner(*, actor: User, organisation_id: int, lock: bool = False) -> Organisation:
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
    organisation = require_owner(actor=actor, organisation_id=organisation_id, lock=True)
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
    require_owner(actor=actor, organisation_id=organisation_id)
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
        require_owner(actor=actor, organisation_id=organisation_id)
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
