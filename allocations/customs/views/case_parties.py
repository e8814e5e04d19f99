"""The importer's pages for the parties of a case: add, edit and remove a supplier,
manufacturer, consignee or customs representative (the importer party can be corrected,
not removed)."""

from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from allocations.core.permissions import Capability, capability_required
from allocations.core.web import run_action, save_form
from allocations.customs import case_selectors as selectors
from allocations.customs import services
from allocations.customs.case_forms import PartyForm
from allocations.customs.models import PartyRole
from allocations.customs.views.case_helpers import case_section_url, editable_or_back

FORM_TEMPLATE = "customs/cases/party_form.html"


@capability_required(Capability.APPLY)
def party_add(request, pk: int):
    case = selectors.case_for_importer(user=request.user, pk=pk)
    if (back := editable_or_back(request, case)) is not None:
        return back
    form = PartyForm(request.POST or None, initial={"role": request.GET.get("role")})
    saved = save_form(
        request,
        form,
        lambda data: services.add_party(actor=request.user, case_id=pk, values=data),
        success=_("The party is added."),
        then=case_section_url(pk, "parties"),
    )
    return saved or render(request, FORM_TEMPLATE, {"case": case, "form": form})


@capability_required(Capability.APPLY)
def party_edit(request, pk: int, party_pk: int):
    case = selectors.case_for_importer(user=request.user, pk=pk)
    party = selectors.party_of(case=case, pk=party_pk)
    if (back := editable_or_back(request, case)) is not None:
        return back
    form = PartyForm(request.POST or None, initial=PartyForm.initial_from(party), fixed_role=True)
    saved = save_form(
        request,
        form,
        lambda data: services.update_party(
            actor=request.user, case_id=pk, party_id=party_pk, values=data
        ),
        success=_("The party is saved."),
        then=case_section_url(pk, "parties"),
    )
    context = {"case": case, "form": form, "party": party}
    context["is_importer_party"] = party.role == PartyRole.IMPORTER
    return saved or render(request, FORM_TEMPLATE, context)


@require_POST
@capability_required(Capability.APPLY)
def party_remove(request, pk: int, party_pk: int):
    run_action(
        request,
        lambda: services.remove_party(actor=request.user, case_id=pk, party_id=party_pk),
        success=_("The party is removed."),
    )
    return redirect(case_section_url(pk, "parties"))
