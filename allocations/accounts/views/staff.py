"""Administrators look people up and grant or revoke their global roles."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from allocations.accounts import selectors, services
from allocations.accounts.forms import RoleGrantForm, UserSearchForm
from allocations.core.permissions import Capability, capability_required
from allocations.core.web import errors_to_messages


@capability_required(Capability.MANAGE_USERS)
def staff_user_list(request):
    form = UserSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    page = selectors.staff_user_page(query=query, page_number=request.GET.get("page", 1))
    context = {"form": form, "page": page, "query": query}
    template = "accounts/staff_user_list.html"
    if request.htmx and request.htmx.target == "user-results":
        template += "#results"
    return render(request, template, context)


@capability_required(Capability.MANAGE_USERS)
def staff_user_detail(request, pk: int):
    context = selectors.staff_user_detail(user_id=pk)
    return render(request, "accounts/staff_user_detail.html", {**context, "form": RoleGrantForm()})


@capability_required(Capability.MANAGE_USERS)
@require_POST
def staff_role_grant(request, pk: int):
    form = RoleGrantForm(request.POST)
    if form.is_valid():
        try:
            services.grant_role(actor=request.user, user_id=pk, role=form.cleaned_data["role"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The role is granted."))
            return redirect("accounts:staff_user_detail", pk)
    # The page is shown again with the error next to the role field.
    context = selectors.staff_user_detail(user_id=pk)
    return render(request, "accounts/staff_user_detail.html", {**context, "form": form}, status=400)


@capability_required(Capability.MANAGE_USERS)
@require_POST
def staff_role_revoke(request, pk: int, role: str):
    try:
        services.revoke_role(actor=request.user, user_id=pk, role=role)
    except ValidationError as error:
        errors_to_messages(request, error)
    else:
        messages.success(request, _("The role is revoked."))
    return redirect("accounts:staff_user_detail", pk)
