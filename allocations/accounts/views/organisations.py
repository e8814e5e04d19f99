"""Organisations and their members, as their members see them."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from allocations.accounts import selectors, services
from allocations.accounts.forms import MemberRoleForm, OrganisationForm
from allocations.core.permissions import Capability, capability_required
from allocations.core.web import errors_to_messages


@capability_required(Capability.APPLY)
def organisation_list(request):
    organisations = selectors.organisations_for(user=request.user)
    return render(request, "accounts/organisation_list.html", {"organisations": organisations})


@capability_required(Capability.APPLY)
def organisation_create(request):
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = services.register_organisation(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The organisation is registered. You are its owner."))
            return redirect("accounts:organisation_detail", organisation.pk)
    return render(request, "accounts/organisation_form.html", {"form": form})


@capability_required(Capability.APPLY)
def organisation_detail(request, pk: int):
    context = selectors.organisation_detail_for(user=request.user, organisation_id=pk)
    return render(request, "accounts/organisation_detail.html", context)


@capability_required(Capability.APPLY)
def organisation_edit(request, pk: int):
    organisation = selectors.owned_organisation(user=request.user, organisation_id=pk)
    form = OrganisationForm(
        request.POST or None, initial=OrganisationForm.initial_from(organisation)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_organisation(
                actor=request.user, organisation_id=pk, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The organisation's details are saved."))
            return redirect("accounts:organisation_detail", pk)
    return render(
        request, "accounts/organisation_form.html", {"form": form, "organisation": organisation}
    )


@capability_required(Capability.APPLY)
@require_POST
def member_role(request, pk: int, membership_pk: int):
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid role."))
        return redirect("accounts:organisation_detail", pk)
    try:
        services.change_member_role(
            actor=request.user,
            organisation_id=pk,
            membership_id=membership_pk,
            role=form.cleaned_data["role"],
        )
    except ValidationError as error:
        errors_to_messages(request, error)
    else:
        messages.success(request, _("The member's role is changed."))
    return redirect("accounts:organisation_detail", pk)


@capability_required(Capability.APPLY)
@require_POST
def member_remove(request, pk: int, membership_pk: int):
    try:
        removed = services.remove_member(
            actor=request.user, organisation_id=pk, membership_id=membership_pk
        )
    except ValidationError as error:
        errors_to_messages(request, error)
        return redirect("accounts:organisation_detail", pk)
    if removed.user_id == request.user.pk:
        # Someone who removed themself can no longer see the organisation.
        messages.success(request, _("You have left the organisation."))
        return redirect("accounts:organisation_list")
    messages.success(request, _("The member is removed."))
    return redirect("accounts:organisation_detail", pk)


@capability_required(Capability.APPLY)
@require_POST
def organisation_leave(request, pk: int):
    try:
        services.leave_organisation(actor=request.user, organisation_id=pk)
    except ValidationError as error:
        errors_to_messages(request, error)
        return redirect("accounts:organisation_detail", pk)
    messages.success(request, _("You have left the organisation."))
    return redirect("accounts:organisation_list")
