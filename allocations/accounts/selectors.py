"""Reads of the accounts area: what each person may see, with constant query counts."""

from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.http import Http404
from django.utils.translation import gettext as _
from django_countries import countries

from allocations.accounts.invitation_services import guard_invitation_usable, guard_invitee
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
from allocations.core.audit import timeline_for

USERS_PER_PAGE = 25


def organisations_for(*, user) -> list[Organisation]:
    """The user's organisations with their role, member and project counts (one query)."""
    my_role = Membership.objects.filter(organisation=OuterRef("pk"), user=user).values("role")[:1]
    return list(
        Organisation.objects.filter(memberships__user=user)
        .annotate(
            my_role=Subquery(my_role),
            member_count=Count("memberships", distinct=True),
            project_count=Count("projects", distinct=True),
        )
        .order_by("legal_name", "pk")
    )


def membership_of(*, user, organisation_id: int) -> Membership:
    """The user's membership of an organisation; 404 when they are not a member."""
    membership = (
        Membership.objects.select_related("organisation")
        .filter(organisation_id=organisation_id, user=user)
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def organisation_detail_for(*, user, organisation_id: int) -> dict:
    """Everything the organisation page shows, for a member; 404 for anyone else."""
    membership = membership_of(user=user, organisation_id=organisation_id)
    organisation = membership.organisation
    is_owner = membership.role == MembershipRole.OWNER
    members = list(
        Membership.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("role", "user__email")
    )
    pending = []
    if is_owner:
        pending = list(
            Invitation.objects.filter(organisation=organisation, state=InvitationState.PENDING)
            .select_related("invited_by")
            .order_by("-created_at")
        )
    owner_count = sum(1 for m in members if m.role == MembershipRole.OWNER)
    return {
        "organisation": organisation,
        "my_membership": membership,
        "is_owner": is_owner,
        "members": members,
        "owner_count": owner_count,
        "pending_invitations": pending,
        "project_count": organisation.projects.count(),
        "country_name": countries.name(organisation.country) or organisation.country,
        "role_choices": MembershipRole.choices,
    }


def owned_organisation(*, user, organisation_id: int) -> Organisation:
    """For edit and invite pages: 404 for non-members, 403 for members who do not own it."""
    membership = membership_of(user=user, organisation_id=organisation_id)
    if membership.role != MembershipRole.OWNER:
        raise PermissionDenied
    return membership.organisation


def invitation_by_token(*, token: str) -> Invitation:
    invitation = (
        Invitation.objects.select_related("organisation", "invited_by").filter(token=token).first()
    )
    if invitation is None:
        raise Http404
    return invitation


def invitation_landing(*, user, token: str, now) -> dict:
    """The invitation behind a link and, if it cannot be accepted by `user`, why not."""
    invitation = invitation_by_token(token=token)
    problem = ""
    try:
        guard_invitation_usable(invitation, now=now)
        if user.is_authenticated:
            guard_invitee(invitation, user=user)
    except ValidationError as error:
        problem = error.messages[0]
    invitee_has_account = (
        not user.is_authenticated
        and EmailAddress.objects.filter(email__iexact=invitation.email).exists()
    )
    return {
        "invitation": invitation,
        "problem": problem,
        "invitee_has_account": invitee_has_account,
    }


# --- Staff administration ------------------------------------------------------------


def staff_user_page(*, query: str = "", page_number=1) -> Page:
    """One page of users matching `query` by e-mail or name, with their roles (3 queries)."""
    users = User.objects.order_by("email", "pk").prefetch_related(
        Prefetch("role_grants", queryset=RoleGrant.objects.order_by("role"))
    )
    query = (query or "").strip()
    if query:
        users = users.filter(Q(email__icontains=query) | Q(full_name__icontains=query))
    return Paginator(users, USERS_PER_PAGE).get_page(page_number)


def staff_user_detail(*, user_id: int) -> dict:
    person = (
        User.objects.prefetch_related(
            Prefetch("role_grants", queryset=RoleGrant.objects.order_by("role")),
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("organisation").order_by(
                    "organisation__legal_name"
                ),
            ),
        )
        .filter(pk=user_id)
        .first()
    )
    if person is None:
        raise Http404
    return {
        "person": person,
        "grants": list(person.role_grants.all()),
        "memberships": list(person.memberships.all()),
        "timeline": [(event, _describe_user_event(event)) for event in timeline_for(person)],
    }


def _describe_user_event(event) -> str:
    role = dict(Role.choices).get(event.to_state or event.from_state, "")
    if event.verb == "role.granted":
        return _("granted the role %(role)s") % {"role": role}
    if event.verb == "role.revoked":
        return _("revoked the role %(role)s") % {"role": role}
    return event.verb
