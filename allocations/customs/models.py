"""Duty- and VAT-free import of data-centre equipment: preference regimes (data staff
maintain), import cases with parties and equipment lines, serial numbers, attachments,
the desk's comments, use reports, generated documents and public confirmations.

Case states: draft → submitted → review → (changes_requested → submitted …) → approved |
rejected; approved → declared → monitoring → closed. A serial number may stand in only
one active case (not rejected, not closed).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from allocations.accounts.models import Organisation
from allocations.applications.models import private_storage

MONEY = {"max_digits": 18, "decimal_places": 2}
RATE = {"max_digits": 6, "decimal_places": 4}


class ExclusionBasis(models.TextChoices):
    ORIGIN = "origin", _("the country of origin of each line")
    DISPATCH = "dispatch", _("the country the shipment is dispatched from")


class PreferenceRegime(models.Model):
    """A legal preference under which equipment is imported free of duty and/or VAT."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=255)
    name_ru = models.CharField(_("name (Russian)"), max_length=255)
    name_kk = models.CharField(_("name (Kazakh)"), max_length=255)
    legal_basis = models.TextField(_("legal basis"))
    exempts_duty = models.BooleanField(_("exempts customs duty"), default=False)
    exempts_vat = models.BooleanField(_("exempts import VAT"), default=False)
    authority = models.CharField(_("authority"), max_length=255)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to (exclusive)"), null=True, blank=True)
    # ISO 3166 codes the regime excludes, which country of a shipment they are compared
    # with (the goods' origin, or the country they are dispatched from: the Astana Hub VAT
    # exemption excludes shipments from EAEU states, whatever the goods' origin), and which
    # exemption the exclusion removes.
    excluded_origins = models.JSONField(_("excluded countries"), default=list, blank=True)
    exclusion_basis = models.CharField(
        _("excluded countries are compared with"),
        max_length=8,
        choices=ExclusionBasis.choices,
        default=ExclusionBasis.ORIGIN,
    )
    exclusion_removes = models.CharField(
        _("an excluded origin loses"),
        max_length=8,
        choices=[("vat", _("the VAT exemption")), ("duty", _("the duty exemption")),
                 ("both", _("both exemptions"))],
        default="both",
    )  # fmt: skip
    # Document kinds (CaseAttachment.Kind values) a case must carry.
    required_documents = models.JSONField(_("required documents"), default=list, blank=True)
    # Months between use reports once the equipment is declared (0: none).
    report_every_months = models.PositiveSmallIntegerField(
        _("use report every (months)"), default=12
    )
    monitoring_years = models.PositiveSmallIntegerField(_("monitoring period (years)"), default=3)
    is_active = models.BooleanField(_("open for new cases"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(exempts_duty=True) | Q(exempts_vat=True),
                name="regime_exempts_something",
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="regime_period_ordered",
            ),
        ]
        verbose_name = _("preference regime")
        verbose_name_plural = _("preference regimes")

    def __str__(self) -> str:
        return self.name_en


class RegimeGoodsItem(models.Model):
    """One entry of a regime's goods list: an HS code prefix and its list item number."""

    regime = models.ForeignKey(PreferenceRegime, on_delete=models.CASCADE, related_name="goods")
    hs_prefix = models.CharField(_("HS code prefix"), max_length=10)
    item_number = models.CharField(_("list item no."), max_length=20)
    description = models.CharField(_("description"), max_length=255)

    class Meta:
        ordering = ["regime", "hs_prefix"]
        constraints = [
            models.UniqueConstraint(fields=["regime", "hs_prefix"], name="regime_goods_unique"),
            models.CheckConstraint(
                condition=Q(hs_prefix__regex=r"^[0-9]{2,10}$"), name="regime_goods_prefix_digits"
            ),
        ]
        verbose_name = _("goods list item")
        verbose_name_plural = _("goods list")

    def __str__(self) -> str:
        return f"{self.hs_prefix} ({self.item_number})"


class ImportTaxRate(models.Model):
    """Rates used to estimate what a case relieves: customs duty by HS prefix, import VAT."""

    class Kind(models.TextChoices):
        DUTY = "duty", _("Customs duty")
        VAT = "vat", _("Import VAT")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    # The longest matching prefix wins; "" is the default for the kind.
    hs_prefix = models.CharField(_("HS code prefix"), max_length=10, blank=True)
    rate = models.DecimalField(_("rate"), **RATE)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to (exclusive)"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        ordering = ["kind", "hs_prefix", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "hs_prefix", "valid_from"], name="import_tax_rate_unique"
            ),
            models.CheckConstraint(
                condition=Q(rate__gte=0) & Q(rate__lt=1), name="import_tax_rate_range"
            ),
        ]
        verbose_name = _("import tax rate")
        verbose_name_plural = _("import tax rates")

    def __str__(self) -> str:
        return f"{self.kind} {self.hs_prefix or '*'} {self.rate}"


class CaseState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    REVIEW = "review", _("In review")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    DECLARED = "declared", _("Declared to customs")
    MONITORING = "monitoring", _("Monitoring")
    CLOSED = "closed", _("Closed")


# Cases whose serial numbers are taken (a serial stands in one active case only).
INACTIVE_CASE_STATES = (CaseState.REJECTED, CaseState.CLOSED)


class Incoterms(models.TextChoices):
    EXW = "EXW", "EXW"
    FCA = "FCA", "FCA"
    CPT = "CPT", "CPT"
    CIP = "CIP", "CIP"
    DAP = "DAP", "DAP"
    DPU = "DPU", "DPU"
    DDP = "DDP", "DDP"
    FAS = "FAS", "FAS"
    FOB = "FOB", "FOB"
    CFR = "CFR", "CFR"
    CIF = "CIF", "CIF"


class ImportCase(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="import_cases"
    )
    regime = models.ForeignKey(PreferenceRegime, on_delete=models.PROTECT, related_name="cases")
    reference = models.CharField(_("reference"), max_length=20, unique=True)  # IMP-2026-00042
    title = models.CharField(_("title"), max_length=200)
    state = models.CharField(
        _("state"), max_length=20, choices=CaseState.choices, default=CaseState.DRAFT
    )
    contract_number = models.CharField(_("contract number"), max_length=100, blank=True)
    contract_date = models.DateField(_("contract date"), null=True, blank=True)
    incoterms = models.CharField(
        _("Incoterms"), max_length=3, choices=Incoterms.choices, blank=True
    )
    currency = models.CharField(_("contract currency"), max_length=3, default="USD")
    # ISO 3166 code of the country the goods are shipped from (may differ from their origin).
    dispatch_country = models.CharField(_("country of dispatch"), max_length=2, blank=True)
    planned_import_date = models.DateField(_("planned import date"), null=True, blank=True)
    installation_site = models.TextField(_("installation site"), blank=True)
    # Set on approval.
    registry_number = models.CharField(
        _("registry number"), max_length=32, unique=True, null=True, blank=True
    )
    # Set on declaration to customs.
    declaration_number = models.CharField(_("customs declaration no."), max_length=40, blank=True)
    declaration_date = models.DateField(_("declaration date"), null=True, blank=True)
    release_date = models.DateField(_("release date"), null=True, blank=True)
    next_report_due = models.DateField(_("next use report due"), null=True, blank=True)
    decision_reason = models.TextField(_("reason"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state__in=["approved", "declared", "monitoring"])
                | Q(registry_number__isnull=False),
                name="import_case_approved_has_registry_number",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["declared", "monitoring"])
                | (~Q(declaration_number="") & Q(declaration_date__isnull=False)),
                name="import_case_declared_has_declaration",
            ),
        ]
        indexes = [models.Index(fields=["state", "created_at"])]
        verbose_name = _("import case")
        verbose_name_plural = _("import cases")

    def __str__(self) -> str:
        return self.reference


class PartyRole(models.TextChoices):
    IMPORTER = "importer", _("Importer")
    SUPPLIER = "supplier", _("Supplier")
    MANUFACTURER = "manufacturer", _("Manufacturer")
    CONSIGNEE = "consignee", _("Consignee")
    CUSTOMS_REPRESENTATIVE = "customs_representative", _("Customs representative")


class CaseParty(models.Model):
    case = models.ForeignKey(ImportCase, on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(_("role"), max_length=24, choices=PartyRole.choices)
    name = models.CharField(_("name"), max_length=255)
    country = models.CharField(_("country"), max_length=2)
    # Kazakh parties: a BIN (checked); foreign ones: their own registration number.
    bin = models.CharField(_("BIN"), max_length=12, blank=True)
    registration_number = models.CharField(_("registration number"), max_length=64, blank=True)
    address = models.TextField(_("address"), blank=True)

    class Meta:
        ordering = ["case", "role", "id"]
        verbose_name = _("party")
        verbose_name_plural = _("parties")

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.name}"


class EquipmentLine(models.Model):
    case = models.ForeignKey(ImportCase, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(_("no."))
    description = models.CharField(_("description"), max_length=500)
    manufacturer = models.CharField(_("manufacturer"), max_length=200)
    model = models.CharField(_("model"), max_length=200)
    hs_code = models.CharField(_("HS code"), max_length=10)
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)
    unit = models.CharField(_("unit"), max_length=16, default="pcs")
    unit_price = models.DecimalField(_("unit price"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    origin_country = models.CharField(_("country of origin"), max_length=2)
    # Data-centre GPUs (H100/H200 class) need the exporter's licence.
    is_datacentre_gpu = models.BooleanField(_("data-centre GPU"), default=False)
    export_licence_number = models.CharField(_("export licence no."), max_length=64, blank=True)

    class Meta:
        ordering = ["case", "position"]
        constraints = [
            models.UniqueConstraint(fields=["case", "position"], name="equipment_line_position"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="equipment_line_quantity"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="equipment_line_price_not_negative"
            ),
        ]
        verbose_name = _("equipment line")
        verbose_name_plural = _("equipment lines")

    def __str__(self) -> str:
        return f"{self.case_id}/{self.position} {self.model}"


class SerialStatus(models.TextChoices):
    IN_USE = "in_use", _("In use at the declared site")
    MOVED = "moved", _("Moved")
    SOLD = "sold", _("Sold")
    SCRAPPED = "scrapped", _("Scrapped")


class SerialNumber(models.Model):
    line = models.ForeignKey(EquipmentLine, on_delete=models.CASCADE, related_name="serials")
    # Normalised: trimmed, upper-case. Unique among active cases (kept in step with the
    # case's state by the services: `active` is False once the case is rejected or closed).
    serial = models.CharField(_("serial number"), max_length=100)
    active = models.BooleanField(default=True)
    status = models.CharField(
        _("status"), max_length=16, choices=SerialStatus.choices, default=SerialStatus.IN_USE
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        ordering = ["line", "serial"]
        constraints = [
            models.UniqueConstraint(
                fields=["serial"], condition=Q(active=True), name="serial_unique_in_active_cases"
            )
        ]
        indexes = [models.Index(fields=["serial"])]
        verbose_name = _("serial number")
        verbose_name_plural = _("serial numbers")

    def __str__(self) -> str:
        return self.serial


class AttachmentKind(models.TextChoices):
    CONTRACT = "contract", _("Supply contract")
    COMMERCIAL_INVOICE = "commercial_invoice", _("Commercial invoice")
    PACKING_LIST = "packing_list", _("Packing list")
    TRANSPORT_DOCUMENT = "transport_document", _("Transport document")
    EXPORT_LICENCE = "export_licence", _("Export licence")
    END_USER_STATEMENT = "end_user_statement", _("End-user statement")
    PREFERENCE_DOCUMENT = "preference_document", _("Document granting the preference")
    OTHER = "other", _("Other")


class CaseAttachment(models.Model):
    case = models.ForeignKey(ImportCase, on_delete=models.CASCADE, related_name="attachments")
    kind = models.CharField(_("kind"), max_length=24, choices=AttachmentKind.choices)
    file = models.FileField(upload_to="imports/%Y/", storage=private_storage)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "kind", "uploaded_at"]
        verbose_name = _("case attachment")
        verbose_name_plural = _("case attachments")

    def __str__(self) -> str:
        return self.original_name


class CaseComment(models.Model):
    """The desk's change requests and notes, and the importer's answers."""

    case = models.ForeignKey(ImportCase, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("comment"))
    # A change request names what to fix; it is resolved when the case is submitted again.
    is_change_request = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["case", "created_at", "id"]
        verbose_name = _("case comment")
        verbose_name_plural = _("case comments")

    def __str__(self) -> str:
        return f"{self.case_id}: {self.body[:40]}"


class UseReport(models.Model):
    """A periodic report that the equipment stays at the declared site for its use."""

    case = models.ForeignKey(ImportCase, on_delete=models.CASCADE, related_name="use_reports")
    period_end = models.DateField(_("period ending"))
    text = models.TextField(_("report"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField()
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["case", "period_end"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "period_end"], name="use_report_once_per_period"
            )
        ]
        verbose_name = _("use report")
        verbose_name_plural = _("use reports")

    def __str__(self) -> str:
        return f"{self.case_id} {self.period_end}"


class CaseDocument(models.Model):
    """A generated document, kept with its hash (what was sent is what was generated)."""

    class Kind(models.TextChoices):
        APPLICATION_LETTER = "application_letter", _("Application letter")
        ANNEX_PDF = "annex_pdf", _("Equipment annex (PDF)")
        ANNEX_XLSX = "annex_xlsx", _("Equipment annex (XLSX)")
        CONFIRMATION = "confirmation", _("Confirmation")

    case = models.ForeignKey(ImportCase, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    language = models.CharField(_("language"), max_length=8)
    file = models.FileField(upload_to="imports/documents/%Y/", storage=private_storage)
    sha256 = models.CharField(max_length=64)
    generated_at = models.DateTimeField()

    class Meta:
        ordering = ["case", "kind", "-generated_at"]
        verbose_name = _("case document")
        verbose_name_plural = _("case documents")

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.language}"


class Confirmation(models.Model):
    """The confirmation issued on approval; anyone holding its code can verify it."""

    case = models.OneToOneField(ImportCase, on_delete=models.PROTECT, related_name="confirmation")
    registry_number = models.CharField(_("registry number"), max_length=32, unique=True)
    # Random, unguessable, printed with a QR code of the public verification URL.
    verification_code = models.CharField(_("verification code"), max_length=32, unique=True)
    issued_at = models.DateTimeField(_("issued"))
    valid_until = models.DateField(_("valid until"))
    document_sha256 = models.CharField(max_length=64, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoke_reason = models.TextField(_("reason for revoking"), blank=True)

    class Meta:
        verbose_name = _("confirmation")
        verbose_name_plural = _("confirmations")

    def __str__(self) -> str:
        return self.registry_number
