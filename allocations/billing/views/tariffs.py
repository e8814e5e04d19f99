"""Finance: tariffs (list, create, edit, delete), invoiced tracks, the seller profile and
the VAT rates (read-only: they are reference data of a migration)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from allocations.billing import page_selectors, services
from allocations.billing.forms import (
    SellerProfileForm,
    TariffForm,
    TrackBillingForm,
)
from allocations.billing.forms import posted as _posted
from allocations.core.permissions import Capability, capability_required
from allocations.core.web import run_action, save_form

TARIFF_FIELDS = {"resource_id": "resource"}


def _tariff_data(form) -> dict:
    data = dict(form.cleaned_data)
    data["resource_id"] = data.pop("resource").pk
    return data


def _tariffs_page(request, *, form=None, seller_form=None, status=200):
    profile = page_selectors.seller_profile()
    context = {
        **page_selectors.tariffs_page(),
        "form": form or TariffForm(prefix_id="new"),
        "seller_form": seller_form or SellerProfileForm(instance=profile),
    }
    return render(request, "billing/tariffs.html", context, status=status)


@capability_required(Capability.MANAGE_BILLING)
def tariff_list(request):
    """GET: the page; POST: a new tariff (errors are shown on the page's form)."""
    form = TariffForm(_posted(request), prefix_id="new")
    saved = save_form(
        request,
        form,
        lambda _data: services.save_tariff(actor=request.user, **_tariff_data(form)),
        success=_("The tariff is saved."),
        then=reverse("billing:tariff_list"),
        fields=TARIFF_FIELDS,
    )
    return saved or _tariffs_page(
        request, form=form, status=400 if request.method == "POST" else 200
    )


@capability_required(Capability.MANAGE_BILLING)
def tariff_edit(request, pk: int):
    tariff = page_selectors.tariff(pk=pk)
    form = TariffForm(_posted(request), initial=TariffForm.initial_for(tariff))
    saved = save_form(
        request,
        form,
        lambda _data: services.save_tariff(
            actor=request.user, tariff_id=tariff.pk, **_tariff_data(form)
        ),
        success=_("The tariff is saved."),
        then=reverse("billing:tariff_list"),
        fields=TARIFF_FIELDS,
    )
    if saved:
        return saved
    status = 400 if request.method == "POST" else 200
    return render(
        request, "billing/tariff_edit.html", {"tariff": tariff, "form": form}, status=status
    )


@require_POST
@capability_required(Capability.MANAGE_BILLING)
def tariff_delete(request, pk: int):
    tariff = page_selectors.tariff(pk=pk)
    run_action(
        request,
        lambda: services.delete_tariff(actor=request.user, tariff_id=tariff.pk),
        success=_("The tariff is deleted."),
    )
    return redirect("billing:tariff_list")


@require_POST
@capability_required(Capability.MANAGE_BILLING)
def track_billing(request):
    form = TrackBillingForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a track and whether it is invoiced."))
        return redirect("billing:tariff_list")
    run_action(
        request,
        lambda: services.set_track_billing(
            actor=request.user,
            track=form.cleaned_data["track"],
            is_paid=form.cleaned_data["is_paid"],
        ),
        success=_("Saved: which tracks are invoiced."),
    )
    return redirect("billing:tariff_list")


@capability_required(Capability.MANAGE_BILLING)
def seller_profile(request):
    """The seller profile form lives on the tariffs page; POST saves it (errors are shown
    there), GET goes to it."""
    if request.method != "POST":
        return redirect(reverse("billing:tariff_list") + "#seller")
    form = SellerProfileForm(request.POST, instance=page_selectors.seller_profile())
    saved = save_form(
        request,
        form,
        lambda data: services.save_seller_profile(actor=request.user, **data),
        success=_("The seller profile is saved."),
        then=reverse("billing:tariff_list") + "#seller",
    )
    return saved or _tariffs_page(request, seller_form=form, status=400)
