"""Tariffs, VAT rates, invoices and credit notes.

Money is Decimal: KZT with 2 decimals, rates with 4, quantities (GPU-hours) with 6.
Rounding is half-up, per invoice line. An issued invoice never changes (guarded in the
models and, on PostgreSQL, by a trigger); corrections are credit notes that reference it.
"gross = net + VAT" is kept by the services and tested, not a check constraint: SQLite
(the embedded default) compares decimals as floats and would refuse exact amounts.
Periods are half-open: [period_start, period_end).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from allocations.accounts.models import Organisation, OrganisationCategory
from allocations.applications.models import private_storage
from allocations.awards.models import Allocation
from allocations.calls.models import Resource, Track

MONEY = {"max_digits": 16, "decimal_places": 2}
RATE = {"max_digits": 6, "decimal_places": 4}
QUANTITY = {"max_digits": 20, "decimal_places": 6}


class TrackBilling(models.Model):
    """Whether a call track is invoiced. Free tracks still show the value given."""

    track = models.CharField(_("track"), max_length=16, choices=Track.choices, unique=True)
    is_paid = models.BooleanField(_("invoiced"), default=True)

    class Meta:
        ordering = ["track"]
        verbose_name = _("track billing")
        verbose_name_plural = _("track billing")

    def __str__(self) -> str:
        return f"{self.track}: {'paid' if self.is_paid else 'free'}"


class Tariff(models.Model):
    """Price per GPU-hour on a resource for an organisation category, for a period."""

    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="tariffs")
    category = models.CharField(
        _("organisation category"), max_length=16, choices=OrganisationCategory.choices
    )
    price_per_gpu_hour = models.DecimalField(_("price per GPU-hour (KZT, net)"), **MONEY)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to (exclusive)"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["resource", "category", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "category", "valid_from"], name="tariff_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(price_per_gpu_hour__gte=0), name="tariff_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="tariff_period_ordered",
            ),
        ]
        verbose_name = _("tariff")
        verbose_name_plural = _("tariffs")

    def __str__(self) -> str:
        return f"{self.resource} {self.category} {self.price_per_gpu_hour} from {self.valid_from}"


class VatRate(models.Model):
    """The VAT rate for turnovers dated in [valid_from, valid_to)."""

    rate = models.DecimalField(_("rate"), **RATE)  # 0.1600 for 16 %
    valid_from = models.DateField(_("valid from"), unique=True)
    valid_to = models.DateField(_("valid to (exclusive)"), null=True, blank=True)
    legal_basis = models.CharField(_("legal basis"), max_length=255, blank=True)

    class Meta:
        ordering = ["valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rate__gte=0) & Q(rate__lt=1), name="vat_rate_between_0_and_1"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="vat_rate_period_ordered",
            ),
        ]
        verbose_name = _("VAT rate")
        verbose_name_plural = _("VAT rates")

    def __str__(self) -> str:
        return f"{self.rate} from {self.valid_from}"


class SellerProfile(models.Model):
    """The centre as seller: printed on every invoice (copied onto it when issued)."""

    name_kk = models.CharField(_("name (Kazakh)"), max_length=255)
    name_ru = models.CharField(_("name (Russian)"), max_length=255)
    name_en = models.CharField(_("name (English)"), max_length=255)
    bin = models.CharField(_("BIN"), max_length=12)
    address_kk = models.TextField(_("address (Kazakh)"))
    address_ru = models.TextField(_("address (Russian)"))
    address_en = models.TextField(_("address (English)"), blank=True)
    iik = models.CharField(_("account (IIK, IBAN)"), max_length=20)
    bik = models.CharField(_("bank code (BIK)"), max_length=11)
    bank_name = models.CharField(_("bank"), max_length=255)
    kbe = models.CharField(_("beneficiary code (KBe)"), max_length=2)
    vat_certificate = models.CharField(_("VAT registration"), max_length=64, blank=True)
    director = models.CharField(_("director"), max_length=200, blank=True)
    accountant = models.CharField(_("chief accountant"), max_length=200, blank=True)
    payment_days = models.PositiveSmallIntegerField(_("days to pay"), default=10)

    class Meta:
        verbose_name = _("seller profile")
        verbose_name_plural = _("seller profile")

    def __str__(self) -> str:
        return self.name_en or self.name_ru


# What an issued invoice copies of the seller and what finance edits: every field but the key.
SELLER_FIELDS = tuple(
    f.name for f in SellerProfile._meta.concrete_fields if f.name != SellerProfile._meta.pk.name
)


class NumberSequence(models.Model):
    """Gapless numbering: the last number used per series and year (row locked to take one)."""

    series = models.CharField(max_length=8)  # "INV", "CN"
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["series", "year"], name="number_sequence_unique")
        ]

    def __str__(self) -> str:
        return f"{self.series}-{self.year}: {self.last}"


class InvoiceRunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class InvoiceRun(models.Model):
    """Finance runs a month: draft invoices for every organisation with paid usage."""

    period_start = models.DateField(_("month"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=InvoiceRunStatus.choices,
        default=InvoiceRunStatus.QUEUED,
    )
    organisations_total = models.PositiveIntegerField(_("organisations"), default=0)
    organisations_done = models.PositiveIntegerField(_("done"), default=0)
    drafts = models.PositiveIntegerField(_("draft invoices"), default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    queued_at = models.DateTimeField(_("queued"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-queued_at", "-id"]
        verbose_name = _("invoicing run")
        verbose_name_plural = _("invoicing runs")

    def __str__(self) -> str:
        return f"run {self.period_start:%Y-%m} ({self.status})"


class InvoiceState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")


class Invoice(models.Model):
    """One organisation's invoice for one month of paid usage."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="invoices"
    )
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to (exclusive)"))
    # The date of the turnover (the month's last day): it decides the VAT rate.
    turnover_date = models.DateField(_("turnover date"))
    state = models.CharField(
        _("state"), max_length=16, choices=InvoiceState.choices, default=InvoiceState.DRAFT
    )
    # Given when issued, from NumberSequence("INV", year): no gaps, no reuse.
    number = models.CharField(_("number"), max_length=32, null=True, blank=True, unique=True)
    issue_date = models.DateField(_("issued on"), null=True, blank=True)
    due_date = models.DateField(_("due on"), null=True, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    cancelled_reason = models.TextField(_("reason for cancelling"), blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="KZT")
    net_total = models.DecimalField(_("amount without VAT"), default=0, **MONEY)
    vat_total = models.DecimalField(_("VAT"), default=0, **MONEY)
    gross_total = models.DecimalField(_("amount with VAT"), default=0, **MONEY)
    # Print languages: "kk+ru" (bilingual, the default) or "en".
    language = models.CharField(_("document language"), max_length=8, default="kk+ru")
    # Copies of the parties as they were when the invoice was issued.
    seller = models.JSONField(_("seller"), default=dict, blank=True)
    customer = models.JSONField(_("customer"), default=dict, blank=True)
    run = models.ForeignKey(
        InvoiceRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="invoices"
    )
    invoice_pdf = models.FileField(upload_to="invoices/%Y/", storage=private_storage, blank=True)
    act_pdf = models.FileField(upload_to="invoices/%Y/", storage=private_storage, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-period_start", "organisation__legal_name", "id"]
        constraints = [
            # One draft per organisation and month; a run replaces its own drafts.
            models.UniqueConstraint(
                fields=["organisation", "period_start"],
                condition=Q(state="draft"),
                name="invoice_one_draft_per_month",
            ),
            models.CheckConstraint(
                condition=Q(state="draft") | Q(number__isnull=False, issue_date__isnull=False),
                name="invoice_issued_has_number",
            ),
            models.CheckConstraint(
                condition=Q(period_end__gt=F("period_start")), name="invoice_period_ordered"
            ),
        ]
        indexes = [models.Index(fields=["state", "period_start"])]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")

    def __str__(self) -> str:
        return self.number or f"draft {self.organisation_id} {self.period_start:%Y-%m}"


class InvoiceLine(models.Model):
    """GPU-hours of one allocation on one resource at one tariff, within the month."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("no."))
    allocation = models.ForeignKey(
        Allocation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="+")
    tariff = models.ForeignKey(
        Tariff, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(_("description"), max_length=500)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to (exclusive)"))
    gpu_seconds = models.BigIntegerField(_("GPU-seconds"))
    quantity = models.DecimalField(_("GPU-hours"), **QUANTITY)
    unit_price = models.DecimalField(_("price per GPU-hour"), **MONEY)
    net_amount = models.DecimalField(_("amount without VAT"), **MONEY)
    vat_rate = models.DecimalField(_("VAT rate"), **RATE)
    vat_amount = models.DecimalField(_("VAT"), **MONEY)
    gross_amount = models.DecimalField(_("amount with VAT"), **MONEY)

    class Meta:
        ordering = ["invoice", "position"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "position"], name="invoice_line_position"),
        ]
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")

    def __str__(self) -> str:
        return f"{self.invoice_id}/{self.position}"


class CreditNote(models.Model):
    """Corrects an issued invoice (which itself never changes). Amounts are negative."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="credit_notes")
    number = models.CharField(_("number"), max_length=32, unique=True)
    issue_date = models.DateField(_("issued on"))
    reason = models.TextField(_("reason"))
    net_total = models.DecimalField(_("amount without VAT"), **MONEY)
    vat_total = models.DecimalField(_("VAT"), **MONEY)
    gross_total = models.DecimalField(_("amount with VAT"), **MONEY)
    pdf = models.FileField(upload_to="credit-notes/%Y/", storage=private_storage, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-issue_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(gross_total__lte=0), name="credit_note_not_positive"
            ),
        ]
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")

    def __str__(self) -> str:
        return self.number


class CreditNoteLine(models.Model):
    """The part of one invoice line that is credited (negative amounts)."""

    credit_note = models.ForeignKey(CreditNote, on_delete=models.CASCADE, related_name="lines")
    invoice_line = models.ForeignKey(InvoiceLine, on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("GPU-hours"), **QUANTITY)
    net_amount = models.DecimalField(_("amount without VAT"), **MONEY)
    vat_rate = models.DecimalField(_("VAT rate"), **RATE)
    vat_amount = models.DecimalField(_("VAT"), **MONEY)
    gross_amount = models.DecimalField(_("amount with VAT"), **MONEY)

    class Meta:
        constraints = []
        verbose_name = _("credit note line")
        verbose_name_plural = _("credit note lines")

    def __str__(self) -> str:
        return f"{self.credit_note_id}: {self.gross_amount}"
