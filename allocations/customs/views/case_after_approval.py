"""The pages after approval: the customs declaration and the release (either side records
them), and the importer's use reports while the equipment is monitored."""

from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from allocations.core.permissions import Capability, capability_required
from allocations.core.web import save_form
from allocations.customs import case_selectors as selectors
from allocations.customs import services
from allocations.customs.case_forms import (
    DeclarationForm,
    ReleaseForm,
    SerialChangeFormSet,
    UseReportForm,
)
from allocations.customs.models import CaseState
from allocations.customs.views.case_helpers import case_url

# Rows of equipment changes a use report form offers (more with ?rows=).
REPORT_ROWS, MAX_REPORT_ROWS = 3, 50
# The report page lists the case's serial numbers up to this many (the rest per line).
REPORT_SERIAL_LIST = 500


@capability_required(Capability.APPLY)
def case_declare(request, pk: int):
    """Record the customs declaration (and the release, if it has happened)."""
    case, side = selectors.case_for_viewer(user=request.user, pk=pk)
    form = DeclarationForm(request.POST or None)
    saved = save_form(
        request,
        form,
        lambda data: services.record_declaration(
            actor=request.user,
            case_id=pk,
            declaration_number=data["declaration_number"],
            declaration_date=data["declaration_date"],
            release_date=data["release_date"],
            now=timezone.now(),
        ),
        success=_("The customs declaration is recorded."),
        then=case_url(case, side),
    )
    return saved or render(
        request,
        "customs/cases/declare.html",
        {"case": case, "form": form, "case_url": case_url(case, side)},
    )


@capability_required(Capability.APPLY)
def case_release(request, pk: int):
    case, side = selectors.case_for_viewer(user=request.user, pk=pk)
    form = ReleaseForm(request.POST or None)
    saved = save_form(
        request,
        form,
        lambda data: services.record_release(
            actor=request.user, case_id=pk, release_date=data["release_date"], now=timezone.now()
        ),
        success=_("The release is recorded; monitoring has started."),
        then=case_url(case, side),
    )
    return saved or render(
        request,
        "customs/cases/release.html",
        {"case": case, "form": form, "case_url": case_url(case, side)},
    )


def _report_rows(request) -> int:
    value = request.GET.get("rows", "")
    return min(int(value), MAX_REPORT_ROWS) if value.isdigit() else REPORT_ROWS


@capability_required(Capability.APPLY)
def report_create(request, pk: int):
    """A use report: the text, and any equipment moved, sold or scrapped."""
    case = selectors.case_for_importer(user=request.user, pk=pk)
    rows = _report_rows(request)
    form = UseReportForm(request.POST or None)
    changes = SerialChangeFormSet(
        request.POST or None, prefix="changes", initial=[{} for _row in range(rows)]
    )
    saved = save_form(
        request,
        form,
        lambda data: services.submit_use_report(
            actor=request.user,
            case_id=pk,
            text=data["text"],
            changes=[
                services.SerialChange(
                    serial=row.get("serial", ""),
                    status=row.get("status", ""),
                    note=row.get("note", ""),
                )
                for row in changes.cleaned_data
            ],
            now=timezone.now(),
        ),
        success=lambda report: (
            _("Your report for the period ending %(date)s is received.")
            % {"date": date_format(report.period_end)}
        ),
        then=reverse("customs:case_detail", args=[pk]),
        also_valid=[changes],
    )
    if saved:
        return saved
    serials = selectors.case_serials(case=case)
    return render(
        request,
        "customs/cases/report_form.html",
        {
            "case": case,
            "form": form,
            "changes": changes,
            "serials": serials[:REPORT_SERIAL_LIST],
            "serial_count": serials.count(),
            "more_rows": min(rows + 5, MAX_REPORT_ROWS),
            "can_report": case.state == CaseState.MONITORING and case.next_report_due is not None,
        },
    )
