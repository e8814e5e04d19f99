"""State changes of projects and their teams.

Application services live in `application_services.py`; both are re-exported here so
that callers have one import: `from allocations.applications import services`.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from allocations.accounts.models import Membership, Organisation, User
from allocations.applications.application_services import (  # noqa: F401
    add_attachment,
    delete_attachment,
    save_draft,
    start_application,
    submission_problems,
    submit_application,
    withdraw_application,
)
from allocations.applications.models import Project, ProjectMember, TeamRole
from allocations.applications.signals import team_member_added, team_member_removed
from allocations.core.audit import record
from allocations.core.permissions import Capability, require

LEADING_ROLES = (TeamRole.PI, TeamRole.CO_PI)


def _lock_project_for(*, actor, project_id: int, roles=LEADING_ROLES) -> Project:
    """Fetch and lock a project; 404 unless on the team, 403 unless in one of `roles`."""
    project = Project.objects.select_for_update().filter(pk=project_id).first()
    if project is None:
        raise Http404
    role = (
        ProjectMember.objects.filter(project=project, user=actor)
        .values_list("role", flat=True)
        .first()
    )
    if role is None:
        raise Http404
    if role not in roles:
        raise PermissionDenied
    return project


@transaction.atomic
def create_project(
    *,
    actor: User,
    title: str,
    abstract: str,
    field_of_science: str,
    organisation: Organisation,
) -> Project:
    """A new project of one of the actor's organisations, with the actor as its PI."""
    require(actor, Capability.APPLY)
    if not Membership.objects.filter(organisation=organisation, user=actor).exists():
        raise ValidationError(
            {"organisation": _("You can only create projects for organisations you belong to.")}
        )
    project = Project.objects.create(
        title=title,
        abstract=abstract,
        field_of_science=field_of_science,
        organisation=organisation,
        pi=actor,
    )
    ProjectMember.objects.create(project=project, user=actor, role=TeamRole.PI)
    record(
        actor=actor,
        verb="project.created",
        target=project,
        data={"organisation_id": organisation.pk, "title": title},
    )
    return project


@transaction.atomic
def update_project(
    *, actor: User, project_id: int, title: str, abstract: str, field_of_science: str
) -> Project:
    """Change the description of a project (PI or co-PI)."""
    project = _lock_project_for(actor=actor, project_id=project_id)
    changed = [
        name
        for name, value in (
            ("title", title),
            ("abstract", abstract),
            ("field_of_science", field_of_science),
        )
        if getattr(project, name) != value
    ]
    project.title = title
    project.abstract = abstract
    project.field_of_science = field_of_science
    project.save(update_fields=["title", "abstract", "field_of_science"])
    record(actor=actor, verb="project.updated", target=project, data={"changed": changed})
    return project


@transaction.atomic
def add_project_member(*, actor: User, project_id: int, email: str, role: str) -> ProjectMember:
    """Put a registered user on the team as co-PI or member (PI or co-PI only)."""
    project = _lock_project_for(actor=actor, project_id=project_id)
    if role not in (TeamRole.CO_PI, TeamRole.MEMBER):
        raise ValidationError({"role": _("Choose co-investigator or team member.")})
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None:
        raise ValidationError(
            {
                "email": _(
                    "Nobody with the e-mail address %(email)s has an account yet. Ask them "
                    "to sign up on the portal first, then add them again."
                )
                % {"email": email.strip()}
            }
        )
    if ProjectMember.objects.filter(project=project, user=user).exists():
        raise ValidationError({"email": _("This person is already on the team.")})
    member = ProjectMember.objects.create(project=project, user=user, role=role)
    record(
        actor=actor,
        verb="project.member_added",
        target=project,
        data={"user_id": user.pk, "email": user.email, "role": role},
    )
    team_member_added.send(sender=Project, project_id=project.pk, user_id=user.pk, actor=actor)
    return member


@transaction.atomic
def remove_project_member(*, actor: User, project_id: int, member_id: int) -> None:
    """Take someone off the team (PI or co-PI only); the PI cannot be removed."""
    project = _lock_project_for(actor=actor, project_id=project_id)
    member = (
        ProjectMember.objects.select_related("user").filter(project=project, pk=member_id).first()
    )
    if member is None:
        raise Http404
    if member.role == TeamRole.PI:
        raise ValidationError(_("The principal investigator cannot be removed from the team."))
    data = {"user_id": member.user_id, "email": member.user.email, "role": member.role}
    member.delete()
    record(actor=actor, verb="project.member_removed", target=project, data=data)
    team_member_removed.send(
        sender=Project, project_id=project.pk, user_id=data["user_id"], actor=actor
    )
