"""Issuing drafts (numbers, copies of the parties, due date, PDFs after commit), payment,
cancelling with a credit note, partial credit notes, discarding drafts, audit and roles."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from allocations.billing import selectors, services
from allocations.billing.credit_notes import credit_amounts
from allocations.billing.models import (
    CreditNote,
    Invoice,
    InvoiceLine,
    InvoiceState,
    NumberSequence,
)
from allocations.core.models import AuditEvent
from tests.factories import ResourceFactory
from tests.factories_billing import (
    HOUR,
    TariffFactory,
    allocation_for,
    organisation,
    run_month,
    seller,
    use,
)

NOV = date(2025, 11, 1)
ISSUED_ON = date(2026, 2, 5)
NON_FINANCE = ["applicant", "reviewer", "assessor", "call_manager", "import_desk"]


@pytest.fixture
def drafts(db):
    """Three organisations' November drafts (two lines for the first one)."""
    seller()
    resource = ResourceFactory(name="H200 main")
    TariffFactory(resource=resource, price_per_gpu_hour=Decimal("1000.00"))
    orgs = [
        organisation(legal_name="Bravo LLP", bin="940140000385", address="Almaty, Abai 1"),
        organisation(legal_name="Alpha GmbH"),
        organisation(legal_name="Charlie LLP"),
    ]
    first = allocation_for(orgs[0], resource=resource)
    second = allocation_for(orgs[0], resource=resource)
    use(first, date(2025, 11, 3), 10 * HOUR)
    use(second, date(2025, 11, 4), 3 * HOUR)
    for org in orgs[1:]:
        use(allocation_for(org, resource=resource), date(2025, 11, 5), 2 * HOUR)
    run_month(NOV)
    return {org.legal_name: Invoice.objects.get(organisation=org) for org in orgs}


def issue(actor, *invoices, day=ISSUED_ON):
    return services.issue_invoices(
        actor=actor, invoice_ids=[i.pk for i in invoices], issue_date=day, now=timezone.now()
    )


def test_issue_numbers_copies_parties_and_sends_documents_after_commit(
    finance, drafts, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(
        "allocations.billing.tasks.generate_invoice_documents.delay",
        lambda **kwargs: sent.append(kwargs),
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        issued = issue(finance, *drafts.values())
    assert sent == []  # nothing before commit
    for callback in callbacks:
        callback()
    # Numbered in register order (by organisation name).
    assert [(i.organisation.legal_name, i.number) for i in issued] == [
        ("Alpha GmbH", "INV-2026-000001"),
        ("Bravo LLP", "INV-2026-000002"),
        ("Charlie LLP", "INV-2026-000003"),
    ]
    assert sorted(s["invoice_id"] for s in sent) == sorted(i.pk for i in issued)
    bravo = Invoice.objects.get(number="INV-2026-000002")
    assert bravo.state == InvoiceState.ISSUED and bravo.issued_by == finance
    assert (bravo.issue_date, bravo.due_date) == (ISSUED_ON, ISSUED_ON + timedelta(days=10))
    assert bravo.customer == {
        "legal_name": "Bravo LLP",
        "bin": "940140000385",
        "address": "Almaty, Abai 1",
        "country": "KZ",
        "category": "startup",
    }
    assert bravo.seller["bin"] == "940140000385"
    assert bravo.seller["name_en"] == "National Supercomputer Centre JSC"
    assert bravo.seller["iik"] == "KZ86125KZT5004100100"
    assert bravo.seller["payment_days"] == 10
    events = AuditEvent.objects.filter(verb="billing.invoice_issued")
    assert events.count() == 3
    assert {e.data["number"] for e in events} == {i.number for i in issued}
    assert all(e.actor == finance and e.to_state == "issued" for e in events)


def test_the_copies_do_not_follow_later_changes(finance, drafts):
    [invoice] = issue(finance, drafts["Bravo LLP"])
    services.save_seller_profile(actor=finance, name_en="Renamed Centre", payment_days=30)
    org = invoice.organisation
    org.legal_name = "Bravo Renamed LLP"
    org.save()
    invoice.refresh_from_db()
    assert invoice.seller["name_en"] == "National Supercomputer Centre JSC"
    assert invoice.customer["legal_name"] == "Bravo LLP"


def test_the_document_task_calls_the_documents_module(finance, drafts, monkeypatch):
    from allocations.billing import tasks

    called = []
    monkeypatch.setattr(
        "allocations.billing.documents.store_invoice_documents",
        lambda **kwargs: called.append(kwargs),
    )
    monkeypatch.setattr(
        "allocations.billing.documents.store_credit_note_document",
        lambda **kwargs: called.append(kwargs),
    )
    tasks.generate_invoice_documents(invoice_id=7)
    tasks.generate_credit_note_document(credit_note_id=8)
    assert called == [{"invoice_id": 7}, {"credit_note_id": 8}]


def test_only_drafts_are_issued_and_the_refusal_names_them(finance, drafts):
    [done] = issue(finance, drafts["Alpha GmbH"])
    with pytest.raises(ValidationError) as refused:
        issue(finance, drafts["Bravo LLP"], done)
    assert "INV-2026-000001" in str(refused.value)
    assert Invoice.objects.get(pk=drafts["Bravo LLP"].pk).state == InvoiceState.DRAFT
    assert NumberSequence.objects.get(series="INV", year=2026).last == 1  # nothing taken


def test_issue_refuses_without_seller_or_with_bad_dates(finance, drafts):
    from allocations.billing.models import SellerProfile

    with pytest.raises(ValidationError, match="before its turnover date"):
        issue(finance, drafts["Bravo LLP"], day=date(2025, 11, 15))
    with pytest.raises(ValidationError, match="future"):
        issue(finance, drafts["Bravo LLP"], day=timezone.localdate() + timedelta(days=1))
    with pytest.raises(ValidationError, match="at least one"):
        services.issue_invoices(
            actor=finance, invoice_ids=[], issue_date=ISSUED_ON, now=timezone.now()
        )
    with pytest.raises(ValidationError, match="no longer exist"):
        services.issue_invoices(
            actor=finance, invoice_ids=[999_999], issue_date=ISSUED_ON, now=timezone.now()
        )
    SellerProfile.objects.all().delete()
    with pytest.raises(ValidationError, match="seller profile"):
        issue(finance, drafts["Bravo LLP"])


def test_numbering_restarts_every_year(finance, drafts):
    resource = ResourceFactory()
    TariffFactory(resource=resource)
    alloc = allocation_for(resource=resource)
    use(alloc, date(2025, 12, 2), HOUR)
    run_month(date(2025, 12, 1))
    december = Invoice.objects.get(period_start=date(2025, 12, 1))
    [first_2025] = issue(finance, december, day=date(2025, 12, 31))
    first_2026, second_2026 = issue(finance, drafts["Alpha GmbH"], drafts["Bravo LLP"])
    assert first_2025.number == "INV-2025-000001"
    assert (first_2026.number, second_2026.number) == ("INV-2026-000001", "INV-2026-000002")
    [third_2026] = issue(finance, drafts["Charlie LLP"], day=date(2026, 3, 1))
    assert third_2026.number == "INV-2026-000003"


def test_mark_paid(finance, drafts):
    [invoice] = issue(finance, drafts["Bravo LLP"])
    with pytest.raises(ValidationError, match="before the invoice was issued"):
        services.mark_paid(actor=finance, invoice_id=invoice.pk, paid_on=date(2026, 1, 1))
    paid = services.mark_paid(actor=finance, invoice_id=invoice.pk, paid_on=date(2026, 2, 10))
    assert (paid.state, paid.paid_on) == (InvoiceState.PAID, date(2026, 2, 10))
    event = AuditEvent.objects.get(verb="billing.invoice_paid")
    assert (event.from_state, event.to_state, event.actor) == ("issued", "paid", finance)
    with pytest.raises(ValidationError, match="Only an issued invoice"):
        services.mark_paid(actor=finance, invoice_id=invoice.pk, paid_on=date(2026, 2, 11))
    with pytest.raises(ValidationError, match="Only an issued invoice"):
        services.mark_paid(
            actor=finance, invoice_id=drafts["Alpha GmbH"].pk, paid_on=date(2026, 2, 11)
        )


def test_cancel_issues_a_credit_note_for_the_full_amount(
    finance, drafts, django_capture_on_commit_callbacks, monkeypatch
):
    sent = []
    monkeypatch.setattr(
        "allocations.billing.tasks.generate_credit_note_document.delay",
        lambda **kwargs: sent.append(kwargs),
    )
    [invoice] = issue(finance, drafts["Bravo LLP"])
    with pytest.raises(ValidationError) as refused:
        services.cancel_invoice(
            actor=finance, invoice_id=invoice.pk, reason=" ", now=timezone.now()
        )
    assert "reason" in refused.value.message_dict
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = services.cancel_invoice(
            actor=finance, invoice_id=invoice.pk, reason="Wrong customer", now=timezone.now()
        )
    assert (cancelled.state, cancelled.cancelled_reason) == ("cancelled", "Wrong customer")
    note = CreditNote.objects.get(invoice=invoice)
    assert sent == [{"credit_note_id": note.pk}]
    assert note.number == f"CN-{timezone.localdate().year}-000001"
    assert (note.net_total, note.vat_total, note.gross_total) == (
        -invoice.net_total,
        -invoice.vat_total,
        -invoice.gross_total,
    )
    assert note.lines.count() == invoice.lines.count() == 2
    for line in note.lines.select_related("invoice_line"):
        assert line.quantity == line.invoice_line.quantity
        assert line.net_amount == -line.invoice_line.net_amount
        assert line.vat_amount == -line.invoice_line.vat_amount
    assert AuditEvent.objects.filter(verb="billing.invoice_cancelled").get().to_state == "cancelled"
    assert AuditEvent.objects.filter(verb="billing.credit_note_issued").count() == 1
    with pytest.raises(ValidationError, match="Only an issued, unpaid"):
        services.cancel_invoice(
            actor=finance, invoice_id=invoice.pk, reason="Again", now=timezone.now()
        )


def test_a_paid_invoice_cannot_be_cancelled(finance, drafts):
    [invoice] = issue(finance, drafts["Bravo LLP"])
    services.mark_paid(actor=finance, invoice_id=invoice.pk, paid_on=date(2026, 2, 10))
    with pytest.raises(ValidationError, match="Only an issued, unpaid"):
        services.cancel_invoice(
            actor=finance, invoice_id=invoice.pk, reason="x", now=timezone.now()
        )


def credit(actor, invoice, quantities, **kwargs):
    kwargs.setdefault("reason", "Job failed on a faulty node")
    kwargs.setdefault("issue_date", date(2026, 2, 20))
    return services.issue_credit_note(
        actor=actor, invoice_id=invoice.pk, quantities=quantities, now=timezone.now(), **kwargs
    )


def test_partial_credit_notes_cannot_exceed_the_line(finance, drafts):
    [invoice] = issue(finance, drafts["Bravo LLP"])
    line = invoice.lines.get(quantity=Decimal("10"))
    note = credit(finance, invoice, {line.pk: Decimal("4")})
    assert note.number == "CN-2026-000001"
    [row] = note.lines.all()
    assert (row.quantity, row.net_amount, row.vat_rate) == (
        Decimal("4"),
        Decimal("-4000.00"),
        Decimal("0.12"),
    )
    assert (row.vat_amount, row.gross_amount) == (Decimal("-480.00"), Decimal("-4480.00"))
    assert note.gross_total == Decimal("-4480.00")
    with pytest.raises(ValidationError) as refused:
        credit(finance, invoice, {line.pk: Decimal("6.000001")})
    assert "6.000000 GPU-hours left" in refused.value.message_dict[f"quantity_{line.pk}"][0]
    rest = credit(finance, invoice, {str(line.pk): "6"})  # form values arrive as strings
    assert rest.number == "CN-2026-000002"
    assert selectors.creditable_lines(invoice_id=invoice.pk)[0]["remaining"] == 0
    with pytest.raises(ValidationError):
        credit(finance, invoice, {line.pk: Decimal("0.000001")})


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (Decimal("-1"), "positive"),
        ("abc", "number"),
        (Decimal("0.0000001"), "6 decimals"),
    ],
)
def test_credit_note_quantities_are_checked(finance, drafts, value, message):
    [invoice] = issue(finance, drafts["Bravo LLP"])
    line = invoice.lines.first()
    with pytest.raises(ValidationError, match=message):
        credit(finance, invoice, {line.pk: value})


def test_credit_note_refusals(finance, drafts):
    [invoice] = issue(finance, drafts["Bravo LLP"])
    other = drafts["Alpha GmbH"]
    line = invoice.lines.first()
    with pytest.raises(ValidationError, match="at least one line"):
        credit(finance, invoice, {line.pk: 0})
    with pytest.raises(ValidationError, match="not a line of this invoice"):
        credit(finance, invoice, {other.lines.get().pk: 1})
    with pytest.raises(ValidationError) as refused:
        credit(finance, invoice, {line.pk: 1}, reason="")
    assert "reason" in refused.value.message_dict
    with pytest.raises(ValidationError, match="before its invoice"):
        credit(finance, invoice, {line.pk: 1}, issue_date=date(2026, 1, 1))
    with pytest.raises(ValidationError, match="issued or paid"):
        credit(finance, other, {other.lines.get().pk: 1})
    assert not CreditNote.objects.exists()


def test_a_paid_invoice_can_be_credited(finance, drafts):
    [invoice] = issue(finance, drafts["Alpha GmbH"])
    services.mark_paid(actor=finance, invoice_id=invoice.pk, paid_on=date(2026, 2, 10))
    note = credit(finance, invoice, {invoice.lines.get().pk: Decimal("0.5")})
    assert note.gross_total == Decimal("-560.00")


def test_partial_credits_add_up_to_the_line_exactly():
    line = InvoiceLine(
        quantity=Decimal("1.000000"),
        unit_price=Decimal("0.05"),
        net_amount=Decimal("0.05"),
        vat_rate=Decimal("0.1200"),
        vat_amount=Decimal("0.01"),
        gross_amount=Decimal("0.06"),
    )
    credited = {"quantity": Decimal("0"), "net": Decimal("0"), "vat": Decimal("0")}
    for quantity in (Decimal("0.3"), Decimal("0.3"), Decimal("0.3"), Decimal("0.1")):
        part = credit_amounts(line=line, quantity=quantity, credited=credited)
        assert part.net <= 0 and part.vat <= 0
        credited = {
            "quantity": credited["quantity"] + part.quantity,
            "net": credited["net"] + part.net,
            "vat": credited["vat"] + part.vat,
        }
    assert credited == {"quantity": Decimal("1"), "net": Decimal("-0.05"), "vat": Decimal("-0.01")}


def test_discard_draft(finance, drafts):
    draft = drafts["Charlie LLP"]
    services.discard_draft(actor=finance, invoice_id=draft.pk)
    assert not Invoice.objects.filter(pk=draft.pk).exists()
    assert AuditEvent.objects.filter(verb="billing.draft_discarded", target_id=draft.pk).exists()
    [issued] = issue(finance, drafts["Bravo LLP"])
    with pytest.raises(ValidationError, match="Only a draft"):
        services.discard_draft(actor=finance, invoice_id=issued.pk)


@pytest.mark.parametrize("role", NON_FINANCE)
def test_only_finance_issues_and_corrects(request, role, drafts, finance):
    user = request.getfixturevalue(role)
    [issued] = issue(finance, drafts["Alpha GmbH"])
    draft = drafts["Bravo LLP"]
    attempts = [
        lambda: issue(user, draft),
        lambda: services.discard_draft(actor=user, invoice_id=draft.pk),
        lambda: services.mark_paid(actor=user, invoice_id=issued.pk, paid_on=ISSUED_ON),
        lambda: services.cancel_invoice(
            actor=user, invoice_id=issued.pk, reason="x", now=timezone.now()
        ),
        lambda: credit(user, issued, {issued.lines.get().pk: 1}),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    assert Invoice.objects.get(pk=draft.pk).state == InvoiceState.DRAFT


def test_an_administrator_may_issue(admin_user, drafts):
    [invoice] = issue(admin_user, drafts["Alpha GmbH"])
    assert invoice.state == InvoiceState.ISSUED
