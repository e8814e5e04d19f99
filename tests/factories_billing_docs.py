"""Billing data for the document, export and page tests, built with the ORM.

Amounts follow the billing rules (per line: net = quantity × price, VAT = net × rate, both
rounded half up to 2 decimals; totals are the sums of the lines), so the documents and
exports see what the invoicing run would make.
"""

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from allocations.accounts.models import Membership, MembershipRole, OrganisationCategory
from allocations.applications.models import ApplicationState
from allocations.awards.models import Allocation, AllocationState
from allocations.billing import numbering
from allocations.billing.models import (
    CreditNote,
    CreditNoteLine,
    Invoice,
    InvoiceLine,
    InvoiceState,
    SellerProfile,
    Tariff,
)
from allocations.calls.models import Resource
from tests.factories import (
    ApplicationFactory,
    OrganisationFactory,
    ProjectFactory,
    ResourceFactory,
    UserFactory,
)

CENT = Decimal("0.01")
SELLER_BIN = "990140004654"
SELLER_IIK = "KZ86125KZT5004100100"

SELLER = {
    "name_kk": "«Ұлттық жасанды интеллект есептеу орталығы» ЖШС",
    "name_ru": "ТОО «Национальный центр вычислений ИИ»",
    "name_en": "National AI Compute Centre LLP",
    "bin": SELLER_BIN,
    "address_kk": "Астана қ., Мәңгілік Ел даңғылы, 55/8",
    "address_ru": "г. Астана, проспект Мангилик Ел, 55/8",
    "address_en": "55/8 Mangilik El Avenue, Astana",
    "iik": SELLER_IIK,
    "bik": "HSBKKZKX",
    "bank_name": "Halyk Bank JSC",
    "kbe": "17",
    "vat_certificate": "VAT 60001 No. 0123456",
    "director": "Serik Directorov",
    "accountant": "Gulnara Buhgalterova",
    "payment_days": 10,
}


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def seller_profile(**overrides) -> SellerProfile:
    profile = SellerProfile.objects.order_by("pk").first()
    data = {**SELLER, **overrides}
    if profile is None:
        return SellerProfile.objects.create(**data)
    for key, value in data.items():
        setattr(profile, key, value)
    profile.save()
    return profile


def customer_copy(organisation) -> dict:
    return {
        "legal_name": organisation.legal_name,
        "bin": organisation.bin or "",
        "address": organisation.address,
        "country": organisation.country,
        "category": organisation.category,
    }


def make_allocation(*, organisation=None, resource=None, account=None) -> Allocation:
    resource = resource or ResourceFactory()
    project = ProjectFactory(organisation=organisation or OrganisationFactory())
    application = ApplicationFactory(
        project=project, state=ApplicationState.APPROVED, submitted_at=timezone.now()
    )
    return Allocation.objects.create(
        application=application,
        project=project,
        resource=resource,
        gpu_hours=10_000,
        start_date=date(2026, 1, 1),
        end_date=date(2027, 1, 1),
        state=AllocationState.ACTIVE,
        slurm_account=account or f"p{application.pk:06d}_h200",
    )


def next_number(issue_date: date, series=numbering.INVOICE_SERIES) -> str:
    """The next number of the series, from the same gapless sequence the services use."""
    with transaction.atomic():
        return numbering.take_number(series=series, year=issue_date.year)


@transaction.atomic
def make_invoice(
    *,
    organisation=None,
    period_start=date(2026, 3, 1),
    lines=((Decimal("120.5"), Decimal("1500.00")),),
    vat_rate=Decimal("0.1600"),
    state=InvoiceState.ISSUED,
    number=None,
    language="kk+ru",
    resource=None,
    allocation=None,
    issue_date=None,
    snapshot=True,
    issued_by=None,
) -> Invoice:
    """An invoice of `lines` ((GPU-hours, price per GPU-hour), ...) for one month."""
    organisation = organisation or OrganisationFactory(
        legal_name="Qazaq Vision AI LLP", address="Almaty, Abai Ave 10"
    )
    period_end = (period_start.replace(day=28) + timedelta(days=4)).replace(day=1)
    resource = resource or (allocation.resource if allocation else None) or _resource()
    issued = state != InvoiceState.DRAFT
    profile = SellerProfile.objects.order_by("pk").first() or seller_profile()
    # Made as a draft with its lines, then issued (and paid or cancelled), as the services
    # do: an issued invoice and its lines never change afterwards (guards and triggers).
    invoice = Invoice.objects.create(
        organisation=organisation,
        period_start=period_start,
        period_end=period_end,
        turnover_date=period_end - timedelta(days=1),
        language=language,
    )
    net_total = vat_total = Decimal(0)
    for position, (hours, price) in enumerate(lines, start=1):
        quantity = Decimal(hours).quantize(Decimal("0.000001"))
        net = money(quantity * Decimal(price))
        vat = money(net * vat_rate)
        InvoiceLine.objects.create(
            invoice=invoice,
            position=position,
            allocation=allocation,
            resource=resource,
            description=f"GPU-hours on {resource.name}",
            period_start=period_start,
            period_end=period_end,
            gpu_seconds=int(quantity * 3600),
            quantity=quantity,
            unit_price=Decimal(price),
            net_amount=net,
            vat_rate=vat_rate,
            vat_amount=vat,
            gross_amount=net + vat,
        )
        net_total += net
        vat_total += vat
    invoice.net_total, invoice.vat_total = net_total, vat_total
    invoice.gross_total = net_total + vat_total
    if issued:
        issue_date = issue_date or period_end + timedelta(days=1)
        invoice.state = InvoiceState.ISSUED
        invoice.number = number or next_number(issue_date)
        invoice.issue_date = issue_date
        invoice.due_date = issue_date + timedelta(days=10)
        invoice.issued_by = issued_by
        if snapshot:
            invoice.seller = {key: getattr(profile, key) for key in SELLER}
            invoice.customer = customer_copy(organisation)
    invoice.save()
    if state == InvoiceState.PAID:
        invoice.state, invoice.paid_on = state, invoice.issue_date + timedelta(days=7)
        invoice.save()
    elif state == InvoiceState.CANCELLED:
        invoice.state, invoice.cancelled_reason = state, "Issued by mistake."
        invoice.save()
    return invoice


def _resource() -> Resource:
    return Resource.objects.filter(name="H200 main").first() or ResourceFactory(name="H200 main")


@transaction.atomic
def make_credit_note(invoice: Invoice, *, quantities: dict[int, Decimal], reason="Job failed.",
                     issued_by=None, number=None) -> CreditNote:  # fmt: skip
    """Credit `quantities` GPU-hours of the invoice's lines (by position)."""
    issued_by = issued_by or UserFactory()
    lines = {line.position: line for line in invoice.lines.all()}
    rows = []
    for position, hours in quantities.items():
        line = lines[position]
        net = -money(Decimal(hours) * line.unit_price)
        vat = -money(-net * line.vat_rate)
        rows.append((line, Decimal(hours), net, vat))  # GPU-hours positive, money negative
    net_total = sum((row[2] for row in rows), Decimal(0))
    vat_total = sum((row[3] for row in rows), Decimal(0))
    issue_date = invoice.issue_date + timedelta(days=5)
    credit_note = CreditNote.objects.create(
        invoice=invoice,
        number=number or next_number(issue_date, numbering.CREDIT_NOTE_SERIES),
        issue_date=issue_date,
        reason=reason,
        net_total=net_total,
        vat_total=vat_total,
        gross_total=net_total + vat_total,
        issued_by=issued_by,
    )
    CreditNoteLine.objects.bulk_create(
        CreditNoteLine(
            credit_note=credit_note,
            invoice_line=line,
            quantity=quantity,
            net_amount=net,
            vat_rate=line.vat_rate,
            vat_amount=vat,
            gross_amount=net + vat,
        )
        for line, quantity, net, vat in rows
    )
    return credit_note


def make_tariff(*, resource=None, category=OrganisationCategory.STARTUP, price="1500.00",
                valid_from=date(2026, 1, 1), valid_to=None) -> Tariff:  # fmt: skip
    return Tariff.objects.create(
        resource=resource or _resource(),
        category=category,
        price_per_gpu_hour=Decimal(price),
        valid_from=valid_from,
        valid_to=valid_to,
    )


def add_member(organisation, role=MembershipRole.MEMBER, user=None):
    user = user or UserFactory()
    Membership.objects.create(organisation=organisation, user=user, role=role)
    return user


def paid_allocation(*, organisation, resource, account: str) -> Allocation:
    """An active allocation on a startup-track call (invoiced by default)."""
    from allocations.calls.models import Track
    from tests.factories import CallFactory

    call = CallFactory(track=Track.STARTUP)
    project = ProjectFactory(organisation=organisation)
    application = ApplicationFactory(
        project=project, call=call, state=ApplicationState.APPROVED, submitted_at=timezone.now()
    )
    return Allocation.objects.create(
        application=application,
        project=project,
        resource=resource,
        gpu_hours=10_000,
        start_date=date(2026, 1, 1),
        end_date=date(2027, 1, 1),
        state=AllocationState.ACTIVE,
        slurm_account=account,
    )


def record_usage(allocation, days, gpu_seconds_per_day: int, username="aigerim") -> None:
    """Daily usage rows as ingestion leaves them (GPU-seconds per account, user and day)."""
    from allocations.usage.models import UsageDaily

    UsageDaily.objects.bulk_create(
        UsageDaily(
            cluster=allocation.resource.cluster,
            account=allocation.slurm_account,
            username=username,
            day=day,
            gpu_seconds=gpu_seconds_per_day,
            jobs=1,
            allocation=allocation,
        )
        for day in days
    )
