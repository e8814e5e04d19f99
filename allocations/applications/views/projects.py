"""Projects and their teams, as seen by the people on them."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from allocations.applications import selectors, services
from allocations.applications.forms import ProjectCreateForm, ProjectEditForm, TeamMemberForm
from allocations.core.permissions import Capability, capability_required
from allocations.core.web import errors_to_messages


def _require_leading(project) -> None:
    if project.my_membership.role not in selectors.LEADING_ROLES:
        raise PermissionDenied


@capability_required(Capability.APPLY)
def project_list(request):
    projects = selectors.projects_for(user=request.user)
    return render(request, "applications/projects/list.html", {"projects": projects})


@capability_required(Capability.APPLY)
def project_create(request):
    organisations = selectors.organisations_of(user=request.user)
    if not organisations.exists():
        return render(request, "applications/projects/no_organisation.html")
    form = ProjectCreateForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        try:
            project = services.create_project(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The project was created. You are its PI."))
            return redirect("applications:project_detail", project.pk)
    return render(request, "applications/projects/form.html", {"form": form, "project": None})


@capability_required(Capability.APPLY)
def project_detail(request, pk: int):
    project = selectors.project_for_member(user=request.user, pk=pk)
    return render(
        request,
        "applications/projects/detail.html",
        {
            "project": project,
            "can_manage": project.my_membership.role in selectors.LEADING_ROLES,
        },
    )


@capability_required(Capability.APPLY)
def project_edit(request, pk: int):
    project = selectors.project_for_member(user=request.user, pk=pk)
    _require_leading(project)
    initial = {
        "title": project.title,
        "abstract": project.abstract,
        "field_of_science": project.field_of_science,
    }
    form = ProjectEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_project(actor=request.user, project_id=project.pk, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The project was saved."))
            return redirect("applications:project_detail", project.pk)
    return render(request, "applications/projects/form.html", {"form": form, "project": project})


@capability_required(Capability.APPLY)
def project_team(request, pk: int):
    project = selectors.project_for_member(user=request.user, pk=pk)
    _require_leading(project)
    form = TeamMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member = services.add_project_member(
                actor=request.user, project_id=project.pk, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("%(person)s joined the team as %(role)s.")
                % {"person": member.user, "role": member.get_role_display()},
            )
            return redirect("applications:project_team", project.pk)
    return render(request, "applications/projects/team.html", {"project": project, "form": form})


@require_POST
@capability_required(Capability.APPLY)
def project_member_remove(request, pk: int, member_pk: int):
    try:
        services.remove_project_member(actor=request.user, project_id=pk, member_id=member_pk)
    except ValidationError as error:
        errors_to_messages(request, error)
    else:
        messages.success(request, _("The person was removed from the team."))
    return redirect("applications:project_team", pk)
