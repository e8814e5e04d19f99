"""Billing documents: seconds to make one invoice PDF (WeasyPrint, Kazakh and Russian),
over 20 issued invoices of 10 lines each, reading each invoice as the documents task does
(one query for the invoice, one for its lines). The first render (fonts, templates) is a
warm-up and not counted. Target: < 0.5 s per invoice.

Standalone: `DATABASE_URL=postgresql://postgres@127.0.0.1:5432/portal_docs_bench
.venv/bin/python benchmarks/bench_documents.py` (drops and recreates that database).
"""

import logging
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

INVOICES = 20
LINES = 10
PERIOD = date(2026, 3, 1)


def _bins(count: int) -> list[str]:
    """Valid, distinct BINs (resident legal entities registered in March 2026)."""
    from allocations.accounts.identifiers import bin_check_digit

    found, serial = [], 0
    while len(found) < count:
        serial += 1
        first = f"2603400{serial:04d}"
        digit = bin_check_digit(first)
        if digit is not None:
            found.append(f"{first}{digit}")
    return found


def _seed() -> list[int]:
    from django.db import transaction
    from django.forms.models import model_to_dict

    from allocations.accounts.models import Organisation, OrganisationCategory
    from allocations.billing import numbering
    from allocations.billing.models import Invoice, InvoiceLine, InvoiceState, SellerProfile
    from allocations.calls.models import Resource

    cent = Decimal("0.01")
    seller = SellerProfile.objects.order_by("pk").first() or SellerProfile.objects.create(
        name_kk="«Ұлттық жасанды интеллект есептеу орталығы» ЖШС",
        name_ru="ТОО «Национальный центр вычислений ИИ»",
        name_en="National AI Compute Centre LLP",
        bin="990140004654",
        address_kk="Астана қ., Мәңгілік Ел даңғылы, 55/8",
        address_ru="г. Астана, проспект Мангилик Ел, 55/8",
        address_en="55/8 Mangilik El Avenue, Astana",
        iik="KZ86125KZT5004100100",
        bik="HSBKKZKX",
        bank_name="Halyk Bank JSC",
        kbe="17",
        director="Serik Directorov",
        accountant="Gulnara Buhgalterova",
    )
    seller_copy = model_to_dict(seller, exclude=["id"])
    resource = Resource.objects.create(
        name="Bench documents H200", cluster="benchdocs", partition="h200",
        capacity_gpu_hours=10**9,
    )  # fmt: skip
    period_end = date(2026, 4, 1)
    ids = []
    for index, bin_ in enumerate(_bins(INVOICES)):
        with transaction.atomic():
            organisation = Organisation.objects.create(
                legal_name=f"«Bench Documents {index}» ЖШС",
                bin=bin_,
                category=OrganisationCategory.STARTUP,
                address="Алматы, Абай даңғылы, 10",
            )
            invoice = Invoice.objects.create(
                organisation=organisation,
                period_start=PERIOD,
                period_end=period_end,
                turnover_date=period_end - timedelta(days=1),
            )
            lines, net_total, vat_total = [], Decimal(0), Decimal(0)
            for position in range(1, LINES + 1):
                quantity = Decimal(137 * position + index) / Decimal(7)
                quantity = quantity.quantize(Decimal("0.000001"), ROUND_HALF_UP)
                net = (quantity * Decimal("1500.00")).quantize(cent, ROUND_HALF_UP)
                vat = (net * Decimal("0.16")).quantize(cent, ROUND_HALF_UP)
                lines.append(
                    InvoiceLine(
                        invoice=invoice,
                        position=position,
                        resource=resource,
                        description=f"GPU-hours on {resource.name}, part {position}",
                        period_start=PERIOD,
                        period_end=period_end,
                        gpu_seconds=int(quantity * 3600),
                        quantity=quantity,
                        unit_price=Decimal("1500.00"),
                        net_amount=net,
                        vat_rate=Decimal("0.1600"),
                        vat_amount=vat,
                        gross_amount=net + vat,
                    )
                )
                net_total += net
                vat_total += vat
            InvoiceLine.objects.bulk_create(lines)
            invoice.net_total, invoice.vat_total = net_total, vat_total
            invoice.gross_total = net_total + vat_total
            invoice.state = InvoiceState.ISSUED
            invoice.number = numbering.take_number(series=numbering.INVOICE_SERIES, year=2026)
            invoice.issue_date = period_end
            invoice.due_date = period_end + timedelta(days=10)
            invoice.seller = seller_copy
            invoice.customer = {
                "legal_name": organisation.legal_name,
                "bin": organisation.bin,
                "address": organisation.address,
                "country": organisation.country,
                "category": organisation.category,
            }
            invoice.save()
        ids.append(invoice.pk)
    return ids


def run() -> None:
    from allocations.billing import documents
    from allocations.billing.models import Invoice
    from benchmarks.common import bench

    ids = _seed()

    def load(pk):
        return Invoice.objects.select_related("organisation").prefetch_related(
            "lines__allocation"
        ).get(pk=pk)  # fmt: skip

    # WeasyPrint reports every step at INFO; a benchmark prints numbers only.
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
    documents.invoice_pdf(load(ids[0]))  # warm-up: fonts, templates, catalogues
    wall, cpu = [], []
    for pk in ids:
        start, start_cpu = time.perf_counter(), time.process_time()
        pdf = documents.invoice_pdf(load(pk))
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        assert pdf.startswith(b"%PDF")
    bench("pdf_s_per_invoice", f"{statistics.mean(wall):.3f}", "s")
    bench("pdf_s_per_invoice_max", f"{max(wall):.3f}", "s")
    # CPU time of this process: what the wall time would be on an idle machine.
    bench("pdf_cpu_s_per_invoice", f"{statistics.mean(cpu):.3f}", "s")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from benchmarks.common import run_standalone

    run_standalone(run)
