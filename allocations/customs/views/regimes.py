"""Regimes and import tax rates: the import desk's pages (list, create, edit, goods list,
rates) and the signed-in users' read-only catalogue of regimes open for new cases."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from allocations.core.permissions import Capability, capability_required
from allocations.core.web import run_action, save_form
from allocations.customs import regime_selectors as selectors
from allocations.customs import regime_services as services
from allocations.customs.regime_forms import (
    GoodsPasteForm,
    RegimeForm,
    TaxRateForm,
)

# --- Applicants and everyone signed in -----------------------------------------------------


@require_GET
@login_required
def regime_catalogue(request):
    regimes = selectors.regime_catalogue(today=timezone.localdate())
    return render(request, "customs/regimes/catalogue.html", {"regimes": regimes})


# --- Import desk: regimes ------------------------------------------------------------------


# The service's "rate" is the form's percentage.
RATE_FIELDS = {"rate": "rate_percent"}


@require_GET
@capability_required(Capability.MANAGE_IMPORTS)
def regime_list(request):
    regimes = selectors.regime_list(today=timezone.localdate())
    return render(request, "customs/regimes/regime_list.html", {"regimes": regimes})


@capability_required(Capability.MANAGE_IMPORTS)
def regime_create(request):
    form = RegimeForm(request.POST or None)
    saved = save_form(
        request,
        form,
        lambda data: services.save_regime(actor=request.user, **data),
        success=_("The regime is saved. Now paste its goods list below."),
        then=lambda regime: reverse("customs:regime_edit", args=[regime.pk]),
    )
    if saved:
        return saved
    status = 400 if request.method == "POST" else 200
    return render(
        request, "customs/regimes/regime_form.html", {"form": form, "regime": None}, status=status
    )


def _edit_page(request, regime, *, form=None, goods_form=None, status=200):
    context = selectors.regime_page(regime=regime, today=timezone.localdate())
    context["form"] = form or RegimeForm(initial=RegimeForm.initial_for(regime))
    context["goods_form"] = goods_form or GoodsPasteForm()
    return render(request, "customs/regimes/regime_form.html", context, status=status)


@capability_required(Capability.MANAGE_IMPORTS)
def regime_edit(request, pk: int):
    regime = selectors.regime(pk=pk)
    if request.method != "POST":
        return _edit_page(request, regime)
    form = RegimeForm(request.POST)
    saved = save_form(
        request,
        form,
        lambda data: services.save_regime(actor=request.user, regime_id=regime.pk, **data),
        success=_("The regime is saved."),
        then=reverse("customs:regime_edit", args=[regime.pk]),
    )
    return saved or _edit_page(request, regime, form=form, status=400)


@require_POST
@capability_required(Capability.MANAGE_IMPORTS)
def regime_goods(request, pk: int):
    """Paste lines into the goods list: all are saved, or none (with the bad lines named)."""
    regime = selectors.regime(pk=pk)
    form = GoodsPasteForm(request.POST)
    if form.is_valid():
        try:
            result = services.save_goods_list(
                actor=request.user,
                regime_id=regime.pk,
                text=form.cleaned_data["lines"],
                replace=form.cleaned_data["replace"],
            )
        except ValidationError as error:
            for message in error.messages:
                form.add_error("lines", message)
        else:
            messages.success(
                request,
                _("Goods list saved: %(added)s added, %(updated)s changed, %(removed)s removed.")
                % {"added": result.added, "updated": result.updated, "removed": result.removed},
            )
            return redirect("customs:regime_edit", regime.pk)
    return _edit_page(request, regime, goods_form=form, status=400)


@require_POST
@capability_required(Capability.MANAGE_IMPORTS)
def regime_goods_delete(request, pk: int, item_pk: int):
    regime = selectors.regime(pk=pk)
    run_action(
        request,
        lambda: services.delete_goods_item(
            actor=request.user, regime_id=regime.pk, item_id=item_pk
        ),
        success=lambda item: (
            _("Item %(item)s (%(prefix)s) is removed from the goods list.")
            % {"item": item.item_number, "prefix": item.hs_prefix}
        ),
    )
    return redirect("customs:regime_edit", regime.pk)


# --- Import desk: tax rates ----------------------------------------------------------------


@capability_required(Capability.MANAGE_IMPORTS)
def tax_rate_list(request):
    """GET: the rates; POST: a new rate (errors are shown on the page's form)."""
    form = TaxRateForm(request.POST or None, prefix_id="new")
    saved = save_form(
        request,
        form,
        lambda _data: services.save_tax_rate(actor=request.user, **form.service_data()),
        success=_("The rate is saved."),
        then=reverse("customs:tax_rate_list"),
        fields=RATE_FIELDS,
    )
    if saved:
        return saved
    status = 400 if request.method == "POST" else 200
    context = {**selectors.tax_rates_page(today=timezone.localdate()), "form": form}
    return render(request, "customs/regimes/tax_rates.html", context, status=status)


@capability_required(Capability.MANAGE_IMPORTS)
def tax_rate_edit(request, pk: int):
    rate = selectors.tax_rate(pk=pk)
    form = TaxRateForm(request.POST or None, initial=TaxRateForm.initial_for(rate))
    saved = save_form(
        request,
        form,
        lambda _data: services.save_tax_rate(
            actor=request.user, rate_id=rate.pk, **form.service_data()
        ),
        success=_("The rate is saved."),
        then=reverse("customs:tax_rate_list"),
        fields=RATE_FIELDS,
    )
    if saved:
        return saved
    status = 400 if request.method == "POST" else 200
    return render(
        request, "customs/regimes/tax_rate_edit.html", {"rate": rate, "form": form}, status=status
    )


@require_POST
@capability_required(Capability.MANAGE_IMPORTS)
def tax_rate_delete(request, pk: int):
    rate = selectors.tax_rate(pk=pk)
    run_action(
        request,
        lambda: services.delete_tax_rate(actor=request.user, rate_id=rate.pk),
        success=_("The rate is deleted."),
    )
    return redirect("customs:tax_rate_list")
