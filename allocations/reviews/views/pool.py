"""The reviewer pool for call managers, and a reviewer's own expertise keywords."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from allocations.core.permissions import Capability, capability_required
from allocations.reviews import selectors, services
from allocations.reviews.forms import ExpertiseForm, PoolAddForm, ReviewerProfileForm, keywords_text


@require_http_methods(["GET", "POST"])
@capability_required(Capability.MANAGE_CALLS)
def pool(request):
    form = PoolAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            profile = services.add_to_pool(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("%(name)s joined the reviewer pool.") % {"name": profile.user}
            )
            return redirect("reviews:pool")
    return render(
        request, "reviews/pool/list.html", {"form": form, "profiles": selectors.reviewer_pool()}
    )


@require_http_methods(["GET", "POST"])
@capability_required(Capability.MANAGE_CALLS)
def pool_edit(request, pk: int):
    profile = selectors.reviewer_profile(pk=pk)
    form = ReviewerProfileForm(
        request.POST or None,
        initial={
            "expertise": keywords_text(profile.expertise),
            "max_active_assignments": profile.max_active_assignments,
            "is_active": profile.is_active,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_reviewer(actor=request.user, profile_id=pk, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("reviews:pool")
    return render(request, "reviews/pool/edit.html", {"form": form, "profile": profile})


@require_http_methods(["GET", "POST"])
@capability_required(Capability.REVIEW)
def my_expertise(request):
    profile = selectors.own_profile(user=request.user)
    form = ExpertiseForm(
        request.POST or None,
        initial={"expertise": keywords_text(profile.expertise if profile else [])},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.update_own_expertise(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your expertise keywords were saved."))
            return redirect("reviews:my_expertise")
    return render(request, "reviews/workspace/expertise.html", {"form": form, "profile": profile})
