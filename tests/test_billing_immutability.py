"""Issued invoices and credit notes never change: the ORM guards (signals) refuse it on any
database, and PostgreSQL's triggers refuse what skips the signals (queryset .update(),
bulk_create, raw SQL). Only issued → paid | cancelled and filling the PDFs once pass."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from allocations.billing import services
from allocations.billing.guards import ImmutableDocumentError
from allocations.billing.models import (
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    InvoiceRun,
    InvoiceState,
)
from allocations.billing.reference_data import load_reference_data
from tests.factories import ResourceFactory
from tests.factories_billing import (  # noqa: F401  (fixture)
    HOUR,
    TariffFactory,
    allocation_for,
    no_documents,
    run_month,
    seller,
    use,
)

pytestmark = pytest.mark.usefixtures("no_documents")

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the triggers exist on PostgreSQL only"
)


def issued_invoice(finance, *, lines=2):
    seller()
    resource = ResourceFactory()
    TariffFactory(resource=resource, price_per_gpu_hour=Decimal("1000.00"))
    org_alloc = allocation_for(resource=resource)
    use(org_alloc, date(2025, 11, 3), 10 * HOUR)
    for _ in range(lines - 1):
        other = allocation_for(org_alloc.project.organisation, resource=resource)
        use(other, date(2025, 11, 4), 2 * HOUR)
    run_month(date(2025, 11, 1))
    draft = Invoice.objects.get(organisation=org_alloc.project.organisation)
    return services.issue_invoices(
        actor=finance, invoice_ids=[draft.pk], issue_date=date(2026, 2, 5), now=timezone.now()
    )[0]


def refused(action, match=None):
    """Run `action` in a savepoint and expect an IntegrityError (ORM guard or trigger)."""
    with pytest.raises(IntegrityError, match=match), transaction.atomic():
        action()


def sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


@pytest.fixture
def invoice(finance):
    return issued_invoice(finance)


# --- the ORM layer ------------------------------------------------------------------------


def test_orm_refuses_changing_an_issued_invoice(invoice):
    fresh = Invoice.objects.get(pk=invoice.pk)
    fresh.net_total += 1
    fresh.gross_total += 1
    with pytest.raises(ImmutableDocumentError, match="net_total"), transaction.atomic():
        fresh.save()
    fresh = Invoice.objects.get(pk=invoice.pk)
    fresh.customer = {**fresh.customer, "legal_name": "Someone else"}
    with pytest.raises(ImmutableDocumentError, match="customer"), transaction.atomic():
        fresh.save()
    fresh = Invoice.objects.get(pk=invoice.pk)
    fresh.state = InvoiceState.DRAFT
    with pytest.raises(ImmutableDocumentError, match="from issued to draft"), transaction.atomic():
        fresh.save(update_fields=["state"])
    with pytest.raises(ImmutableDocumentError, match="never deleted"), transaction.atomic():
        Invoice.objects.get(pk=invoice.pk).delete()
    # Saving it unchanged is harmless.
    Invoice.objects.get(pk=invoice.pk).save()


def test_orm_allows_the_transitions_and_pdfs_once(invoice):
    fresh = Invoice.objects.get(pk=invoice.pk)
    fresh.invoice_pdf.name = "invoices/2026/INV-2026-000001-invoice.pdf"
    fresh.save(update_fields=["invoice_pdf"])
    fresh.invoice_pdf.name = "invoices/2026/other.pdf"
    with pytest.raises(ImmutableDocumentError, match="stored once"), transaction.atomic():
        fresh.save(update_fields=["invoice_pdf"])
    fresh = Invoice.objects.get(pk=invoice.pk)
    fresh.state, fresh.paid_on = InvoiceState.PAID, date(2026, 2, 10)
    fresh.save()
    fresh.paid_on = date(2026, 2, 11)
    with pytest.raises(ImmutableDocumentError, match="payment date"), transaction.atomic():
        fresh.save()


def test_orm_refuses_changing_lines_of_an_issued_invoice(invoice):
    line = invoice.lines.first()
    line.quantity += 1
    with pytest.raises(ImmutableDocumentError, match="lines cannot change"), transaction.atomic():
        line.save()
    with pytest.raises(ImmutableDocumentError, match="never deleted"), transaction.atomic():
        InvoiceLine.objects.get(pk=line.pk).delete()
    extra = InvoiceLine.objects.get(pk=line.pk)
    extra.pk, extra.position = None, 99
    with pytest.raises(ImmutableDocumentError), transaction.atomic():
        extra.save()


def test_orm_refuses_changing_credit_notes(finance, invoice):
    note = services.cancel_invoice(
        actor=finance, invoice_id=invoice.pk, reason="Wrong org", now=timezone.now()
    ).credit_notes.get()
    note.reason = "Something nicer"
    with pytest.raises(ImmutableDocumentError, match="reason"), transaction.atomic():
        note.save()
    with pytest.raises(ImmutableDocumentError, match="never deleted"), transaction.atomic():
        CreditNote.objects.get(pk=note.pk).delete()
    line = note.lines.first()
    line.quantity = Decimal("0.5")
    with pytest.raises(ImmutableDocumentError), transaction.atomic():
        line.save()
    with pytest.raises(ImmutableDocumentError), transaction.atomic():
        line.delete()
    fresh = CreditNote.objects.get(pk=note.pk)
    fresh.pdf.name = "credit-notes/2026/cn.pdf"
    fresh.save(update_fields=["pdf"])  # filled once: fine


def test_drafts_change_freely(finance, invoice):
    draft = Invoice.objects.create(
        organisation=invoice.organisation,
        period_start=date(2025, 12, 1),
        period_end=date(2026, 1, 1),
        turnover_date=date(2025, 12, 31),
    )
    line = InvoiceLine.objects.create(
        invoice=draft,
        position=1,
        resource=invoice.lines.first().resource,
        description="x",
        period_start=date(2025, 12, 1),
        period_end=date(2026, 1, 1),
        gpu_seconds=3600,
        quantity=Decimal(1),
        unit_price=Decimal(1),
        net_amount=Decimal(1),
        vat_rate=Decimal("0.12"),
        vat_amount=Decimal("0.12"),
        gross_amount=Decimal("1.12"),
    )
    line.description = "y"
    line.save()
    draft.language = "en"
    draft.save()
    Invoice.objects.filter(pk=draft.pk).update(language="kk+ru")
    draft.delete()
    assert not InvoiceLine.objects.filter(pk=line.pk).exists()


# --- the database layer (PostgreSQL triggers) -------------------------------------------


@postgres_only
def test_trigger_refuses_queryset_updates_of_an_issued_invoice(invoice):
    issued = Invoice.objects.filter(pk=invoice.pk)
    refused(lambda: issued.update(net_total=1, vat_total=0, gross_total=1), "content never")
    refused(lambda: issued.update(number="INV-2026-999999"), "content never")
    refused(lambda: issued.update(due_date=date(2030, 1, 1)), "content never")
    refused(lambda: issued.update(state=InvoiceState.DRAFT), "cannot go from issued to draft")
    refused(lambda: issued.update(state=InvoiceState.PAID), "needs its payment date")
    refused(lambda: issued.update(cancelled_reason="sneaky"), "when cancelling")
    refused(
        lambda: sql("DELETE FROM allocations_invoice WHERE id = %s", [invoice.pk]), "never deleted"
    )
    invoice.refresh_from_db()
    assert invoice.state == InvoiceState.ISSUED and invoice.number == "INV-2026-000001"


@postgres_only
def test_trigger_allows_pdfs_once_paying_and_clearing_the_run(invoice):
    issued = Invoice.objects.filter(pk=invoice.pk)
    assert issued.update(invoice_pdf="invoices/2026/a.pdf", act_pdf="invoices/2026/b.pdf") == 1
    refused(lambda: issued.update(act_pdf="invoices/2026/c.pdf"), "stored once")
    InvoiceRun.objects.filter(pk=invoice.run_id).delete()  # SET_NULL: an UPDATE of run_id
    assert issued.update(state=InvoiceState.PAID, paid_on=date(2026, 2, 9)) == 1
    refused(lambda: issued.update(paid_on=date(2026, 2, 10)), "set once")
    refused(lambda: issued.update(state=InvoiceState.CANCELLED), "cannot go from paid")
    invoice.refresh_from_db()
    assert (invoice.state, invoice.run_id) == (InvoiceState.PAID, None)


@postgres_only
def test_trigger_refuses_touching_lines_of_an_issued_invoice(invoice):
    lines = InvoiceLine.objects.filter(invoice=invoice)
    refused(lambda: lines.update(quantity=0), "lines never change")
    refused(lambda: sql("DELETE FROM allocations_invoiceline WHERE invoice_id = %s", [invoice.pk]))
    extra = InvoiceLine.objects.get(pk=lines.first().pk)
    extra.pk, extra.position = None, 99
    refused(lambda: InvoiceLine.objects.bulk_create([extra]), "no line can be added")
    assert lines.count() == 2


@postgres_only
def test_trigger_refuses_changing_credit_notes(finance, invoice):
    services.cancel_invoice(actor=finance, invoice_id=invoice.pk, reason="x", now=timezone.now())
    notes = CreditNote.objects.filter(invoice=invoice)
    refused(lambda: notes.update(reason="y"), "never changes")
    refused(lambda: notes.update(gross_total=0, net_total=0, vat_total=0), "never changes")
    refused(lambda: sql("DELETE FROM allocations_creditnote"), "never deleted")
    note_lines = CreditNoteLine.objects.filter(credit_note__invoice=invoice)
    refused(lambda: note_lines.update(quantity=Decimal("0.1")), "never change")
    refused(lambda: sql("DELETE FROM allocations_creditnoteline"), "never change")
    assert notes.update(pdf="credit-notes/2026/cn.pdf") == 1
    refused(lambda: notes.update(pdf="credit-notes/2026/other.pdf"), "stored once")


@postgres_only
def test_trigger_refuses_a_credit_note_for_a_draft(finance, invoice):
    draft = Invoice.objects.create(
        organisation=invoice.organisation,
        period_start=date(2025, 12, 1),
        period_end=date(2026, 1, 1),
        turnover_date=date(2025, 12, 31),
    )
    note = CreditNote(
        invoice=draft,
        number="CN-X",
        issue_date=date(2026, 1, 5),
        reason="x",
        net_total=0,
        vat_total=0,
        gross_total=0,
        issued_by=finance,
    )
    refused(lambda: CreditNote.objects.bulk_create([note]), "draft invoice")


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_trigger_refuses_lines_added_to_a_credit_note_written_earlier():
    from tests.factories import make_staff

    load_reference_data()  # a transactional test's flush may have emptied them
    finance = make_staff("finance")
    invoice = issued_invoice(finance)
    line = invoice.lines.first()
    note = services.issue_credit_note(
        actor=finance,
        invoice_id=invoice.pk,
        quantities={line.pk: Decimal("1")},
        reason="Faulty node",
        issue_date=date(2026, 2, 20),
        now=timezone.now(),
    )  # committed: its own transaction
    assert note.lines.count() == 1
    sneaky = CreditNoteLine(
        credit_note=note,
        invoice_line=line,
        quantity=Decimal("1"),
        net_amount=Decimal("-1000.00"),
        vat_rate=Decimal("0.12"),
        vat_amount=Decimal("-120.00"),
        gross_amount=Decimal("-1120.00"),
    )
    with pytest.raises(IntegrityError, match="no line can be added"):
        CreditNoteLine.objects.bulk_create([sneaky])
    assert note.lines.count() == 1
