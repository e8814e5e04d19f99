"""Factories of the customs area: regimes with goods lists, tax rates, import cases with
parties, equipment lines, serial numbers and attachments.

`make_case(lines=..., serials_per_line=...)` builds a complete case that passes
`allocations.customs.checks.check_case` (with `today=TODAY`); tests then break one thing
(`set_line`, `set_case`, `set_regime`, `update_party`) and read the problems (`codes`,
`only`). It uses bulk_create, so thousands of lines and serials take a second or two.
"""

import hashlib
import itertools
from datetime import date
from decimal import Decimal

import factory
from django.core.files.base import ContentFile

from allocations.customs.checks import Problem
from allocations.customs.models import (
    AttachmentKind,
    CaseAttachment,
    CaseParty,
    CaseState,
    EquipmentLine,
    ImportCase,
    ImportTaxRate,
    PartyRole,
    PreferenceRegime,
    RegimeGoodsItem,
    SerialNumber,
)
from tests.factories import UserFactory
from tests.factories_accounts import UniqueBinOrganisationFactory

# The day tests check cases on, and the planned import date of factory cases.
TODAY = date(2026, 5, 4)
PLANNED_IMPORT = date(2026, 6, 1)

# (HS prefix, list item no., description): the usual data-centre goods (shared/KZ-FACTS.md).
STANDARD_GOODS = [
    ("847150", "1", "Servers with GPUs"),
    ("847330", "2", "GPU boards and modules"),
    ("847170", "3", "Storage units"),
    ("851762", "4", "Network switches"),
    ("8544", "5", "Cables, including optical"),
    ("850440", "6", "Uninterruptible power supplies"),
    ("940320", "7", "Server racks"),
    ("8415", "8", "Precision air conditioners"),
    ("8418", "9", "Chillers and coolant distribution units"),
    ("8419", "10", "Heat exchangers"),
]
DEFAULT_REQUIRED = [AttachmentKind.CONTRACT.value, AttachmentKind.COMMERCIAL_INVOICE.value]

_case_numbers = itertools.count(1)
PDF_BYTES = b"%PDF-1.4\n% factory attachment\n"


class PreferenceRegimeFactory(factory.django.DjangoModelFactory):
    """A regime exempting duty and VAT, valid from 2025, with STANDARD_GOODS as its list.

    Pass `goods=[(prefix, item, description), ...]` for another list (`goods=[]`: none).
    """

    class Meta:
        model = PreferenceRegime
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"regime-{n}")
    name_en = factory.Sequence(lambda n: f"Test regime {n}")
    name_ru = factory.Sequence(lambda n: f"Тестовый режим {n}")
    name_kk = factory.Sequence(lambda n: f"Сынақ режимі {n}")
    legal_basis = "Entrepreneurial Code, Article 286 (test)"
    exempts_duty = True
    exempts_vat = True
    authority = "Investment Committee"
    valid_from = date(2025, 1, 1)
    valid_to = None
    excluded_origins = factory.LazyFunction(list)
    exclusion_removes = "both"
    required_documents = factory.LazyFunction(lambda: list(DEFAULT_REQUIRED))
    is_active = True

    @factory.post_generation
    def goods(self, create, extracted, **kwargs):
        if not create:
            return
        rows = STANDARD_GOODS if extracted is None else extracted
        RegimeGoodsItem.objects.bulk_create(
            RegimeGoodsItem(regime=self, hs_prefix=p, item_number=i, description=d)
            for p, i, d in rows
        )


class RegimeGoodsItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegimeGoodsItem

    regime = factory.SubFactory(PreferenceRegimeFactory, goods=[])
    hs_prefix = "847150"
    item_number = factory.Sequence(lambda n: str(n + 1))
    description = "Servers with GPUs"


class ImportTaxRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportTaxRate

    kind = ImportTaxRate.Kind.DUTY
    hs_prefix = ""
    rate = Decimal("0.0500")
    valid_from = date(2020, 1, 1)
    valid_to = None
    note = ""


class ImportCaseFactory(factory.django.DjangoModelFactory):
    """A draft case of a Kazakh organisation (unique valid BIN), without parties or lines."""

    class Meta:
        model = ImportCase

    organisation = factory.SubFactory(UniqueBinOrganisationFactory)
    regime = factory.SubFactory(PreferenceRegimeFactory)
    reference = factory.LazyFunction(lambda: f"IMP-2026-{next(_case_numbers):05d}")
    title = "GPU cluster expansion"
    state = CaseState.DRAFT
    contract_number = "SC-2026/17"
    contract_date = date(2026, 3, 2)
    incoterms = "DAP"
    currency = "USD"
    planned_import_date = PLANNED_IMPORT
    installation_site = "Astana, Kabanbay Batyr 53, data hall 2"
    created_by = factory.SubFactory(UserFactory)


class CasePartyFactory(factory.django.DjangoModelFactory):
    """The importer by default (the case's organisation); `supplier=True` for a US seller."""

    class Meta:
        model = CaseParty

    case = factory.SubFactory(ImportCaseFactory)
    role = PartyRole.IMPORTER
    name = factory.LazyAttribute(lambda o: o.case.organisation.legal_name)
    country = "KZ"
    bin = factory.LazyAttribute(lambda o: o.case.organisation.bin or "")
    registration_number = ""
    address = "Astana"

    class Params:
        supplier = factory.Trait(
            role=PartyRole.SUPPLIER,
            name="Example Systems Inc.",
            country="US",
            bin="",
            registration_number="DE-7734-221",
            address="San Jose, CA",
        )


def _next_position(line) -> int:
    last = line.case.lines.order_by("-position").values_list("position", flat=True).first()
    return (last or 0) + 1


class EquipmentLineFactory(factory.django.DjangoModelFactory):
    """One GPU server (8471 50 000 0) at 250,000 in the case's currency, made in the US."""

    class Meta:
        model = EquipmentLine

    case = factory.SubFactory(ImportCaseFactory)
    position = factory.LazyAttribute(_next_position)
    description = "GPU server, 8 × H200"
    manufacturer = "Supermicro"
    model = "SYS-821GE-TNHR"
    hs_code = "8471500000"
    quantity = Decimal("1")
    unit = "pcs"
    unit_price = Decimal("250000.00")
    currency = factory.LazyAttribute(lambda o: o.case.currency)
    origin_country = "US"
    is_datacentre_gpu = False
    export_licence_number = ""


class SerialNumberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SerialNumber

    line = factory.SubFactory(EquipmentLineFactory)
    serial = factory.Sequence(lambda n: f"SN{n:08d}")
    active = True


class CaseAttachmentFactory(factory.django.DjangoModelFactory):
    """A small PDF of the given kind (stored in the tests' temporary private storage)."""

    class Meta:
        model = CaseAttachment

    case = factory.SubFactory(ImportCaseFactory)
    kind = AttachmentKind.CONTRACT
    file = factory.LazyAttribute(lambda o: ContentFile(PDF_BYTES, name=f"{o.kind}.pdf"))
    original_name = factory.LazyAttribute(lambda o: f"{o.kind}.pdf")
    size = len(PDF_BYTES)
    sha256 = hashlib.sha256(PDF_BYTES).hexdigest()
    uploaded_by = factory.SelfAttribute("case.created_by")


def make_case(
    *,
    lines: int = 1,
    serials_per_line: int = 1,
    regime: PreferenceRegime | None = None,
    with_parties: bool = True,
    with_documents: bool = True,
    serial_prefix: str | None = None,
    line_kwargs: dict | None = None,
    **case_kwargs,
) -> ImportCase:
    """A case that passes every check: importer (the organisation) and a US supplier, `lines`
    GPU-server lines of `serials_per_line` units each with that many serial numbers, and the
    regime's required documents attached. Rows are bulk-created.

    `line_kwargs` overrides EquipmentLine fields on every line; other keywords go to the case.
    Serial numbers are `<prefix>-<line>-<n>` with the case reference as the default prefix.
    """
    if regime is not None:
        case_kwargs["regime"] = regime
    case = ImportCaseFactory(**case_kwargs)
    if with_parties:
        CasePartyFactory(case=case)
        CasePartyFactory(case=case, supplier=True)
    fields = {
        "description": "GPU server, 8 × H200",
        "manufacturer": "Supermicro",
        "model": "SYS-821GE-TNHR",
        "hs_code": "8471500000",
        "quantity": Decimal(serials_per_line or 1),
        "unit": "pcs",
        "unit_price": Decimal("250000.00"),
        "currency": case.currency,
        "origin_country": "US",
        **(line_kwargs or {}),
    }
    created = EquipmentLine.objects.bulk_create(
        EquipmentLine(case=case, position=position, **fields) for position in range(1, lines + 1)
    )
    prefix = serial_prefix or case.reference
    SerialNumber.objects.bulk_create(
        (
            SerialNumber(line=line, serial=f"{prefix}-{line.position}-{n}")
            for line in created
            for n in range(1, serials_per_line + 1)
        ),
        batch_size=5000,
    )
    if with_documents:
        for kind in case.regime.required_documents:
            CaseAttachmentFactory(case=case, kind=kind)
    return case


# --- Breaking one thing of a complete case, and reading the problems ------------------------


def codes(problems) -> set[str]:
    """The codes of the problems check_case reported."""
    return {problem.code for problem in problems}


def only(problems, code) -> list[Problem]:
    """The problems of one code."""
    return [problem for problem in problems if problem.code == code]


def line_at(case, position=1):
    return EquipmentLine.objects.get(case=case, position=position)


def set_line(case, position=1, **fields):
    EquipmentLine.objects.filter(case=case, position=position).update(**fields)


def set_case(case, **fields):
    for name, value in fields.items():
        setattr(case, name, value)
    case.save()


def set_regime(case, **fields):
    for name, value in fields.items():
        setattr(case.regime, name, value)
    case.regime.save()


def update_party(case, role, **fields):
    CaseParty.objects.filter(case=case, role=role).update(**fields)
