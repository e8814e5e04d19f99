"""What every document of a case prints, read from the database once: the parties, the
equipment lines with their serial numbers, and the totals per currency."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from allocations.customs.checks import format_hs_code, line_total
from allocations.customs.models import (
    CaseParty,
    CaseState,
    EquipmentLine,
    ImportCase,
    PartyRole,
    SerialNumber,
)

# Up to this many lines the letter and the confirmation list every line; beyond it they
# give one row per HS code, unit and currency (the annex always lists everything).
LISTED_LINES_LIMIT = 20
# Cases still being written: the annex says so on every page.
DRAFT_STATES = (CaseState.DRAFT, CaseState.CHANGES_REQUESTED)


@dataclass(frozen=True)
class PartyData:
    name: str
    bin: str
    address: str
    country: str = "KZ"


@dataclass
class AnnexLine:
    position: int
    description: str
    manufacturer: str
    model: str
    hs_code: str  # as printed: "8471 50 000 0"
    quantity: Decimal
    unit: str
    unit_price: Decimal
    total: Decimal
    currency: str
    origin: str  # ISO code
    serials: list[str] = field(default_factory=list)


@dataclass
class SummaryRow:
    """Lines of one HS code, unit and currency added up (for the letter and confirmation)."""

    hs_code: str
    description: str
    quantity: Decimal
    unit: str
    currency: str
    value: Decimal
    lines: int


@dataclass
class CaseData:
    case: ImportCase
    importer: PartyData
    supplier: PartyData | None
    lines: list[AnnexLine]
    totals: list[tuple[str, Decimal]]  # per currency, by currency code
    serial_count: int

    @property
    def listed(self) -> bool:
        """Whether the letter and the confirmation list every line."""
        return len(self.lines) <= LISTED_LINES_LIMIT

    def summary(self) -> list[SummaryRow]:
        groups: dict[tuple[str, str, str], SummaryRow] = {}
        descriptions: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        for line in self.lines:
            key = (line.hs_code, line.unit, line.currency)
            row = groups.get(key)
            if row is None:
                row = groups[key] = SummaryRow(
                    line.hs_code, "", Decimal(0), line.unit, line.currency, Decimal(0), 0
                )
            row.quantity += line.quantity
            row.value += line.total
            row.lines += 1
            if line.description not in descriptions[key]:
                descriptions[key].append(line.description)
        for key, row in groups.items():
            names = descriptions[key]
            row.description = "; ".join(names[:3]) + ("; …" if len(names) > 3 else "")
        return [groups[key] for key in sorted(groups)]


def _party(party: CaseParty | None) -> PartyData | None:
    if party is None:
        return None
    return PartyData(party.name, party.bin, party.address, party.country)


def importer_of(case: ImportCase, parties: list[CaseParty] | None = None) -> PartyData:
    """The importer as the case states it (its importer party), completed from the
    organisation; the organisation alone when the case has no importer party."""
    if parties is None:
        parties = list(case.parties.filter(role=PartyRole.IMPORTER).order_by("id")[:1])
    party = next((p for p in parties if p.role == PartyRole.IMPORTER), None)
    organisation = case.organisation
    if party is None:
        return PartyData(organisation.legal_name, organisation.bin or "", organisation.address)
    return PartyData(
        party.name or organisation.legal_name,
        party.bin or organisation.bin or "",
        party.address or organisation.address,
        party.country or organisation.country,
    )


def case_data(case: ImportCase) -> CaseData:
    """Parties, lines, serial numbers and totals of the case in three queries."""
    parties = list(case.parties.order_by("role", "id"))
    rows = (
        EquipmentLine.objects.filter(case_id=case.pk)
        .order_by("position")
        .values_list(
            "id",
            "position",
            "description",
            "manufacturer",
            "model",
            "hs_code",
            "quantity",
            "unit",
            "unit_price",
            "currency",
            "origin_country",
        )
    )
    lines: dict[int, AnnexLine] = {}
    for pk, position, description, maker, model, hs, qty, unit, price, currency, origin in rows:
        lines[pk] = AnnexLine(
            position=position,
            description=description,
            manufacturer=maker,
            model=model,
            hs_code=format_hs_code(hs),
            quantity=qty,
            unit=unit,
            unit_price=price,
            total=line_total(qty, price),
            currency=currency,
            origin=origin,
        )
    serial_count = 0
    serials = (
        SerialNumber.objects.filter(line__case_id=case.pk)
        .order_by("line_id", "serial")
        .values_list("line_id", "serial")
    )
    for line_id, serial in serials:
        lines[line_id].serials.append(serial)
        serial_count += 1
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines.values():
        totals[line.currency] += line.total
    supplier = next((p for p in parties if p.role == PartyRole.SUPPLIER), None)
    return CaseData(
        case=case,
        importer=importer_of(case, parties),
        supplier=_party(supplier),
        lines=list(lines.values()),
        totals=sorted(totals.items()),
        serial_count=serial_count,
    )


def load_case(case_or_id) -> ImportCase:
    if isinstance(case_or_id, ImportCase):
        return case_or_id
    return ImportCase.objects.select_related("organisation", "regime").get(pk=case_or_id)
