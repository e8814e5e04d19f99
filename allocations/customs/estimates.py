"""What a case's regime relieves: customs duty and import VAT, estimated per line.

- The customs value of a line is quantity × unit price in the contract currency, rounded
  half-up to 2 decimals. No conversion to tenge happens here: customs converts at the rate
  of the declaration day, so the estimate is in the contract currency (pages say so).
- Duty: the `ImportTaxRate` of kind "duty" valid on the day whose HS prefix is the longest
  that matches the line's code ("" is the default). Import VAT: the rate of kind "vat"
  valid on the day, on the customs value plus the duty. Ad valorem rates only.
- Without the regime a line pays `duty` and `vat`. With it, a line whose HS code is on the
  regime's goods list is exempt from what the regime exempts, minus what its origin loses
  through the regime's exclusions. VAT is then charged on the value plus the duty actually
  paid, so a duty-only exemption also relieves the VAT on the relieved duty.
- Rounding is half-up to 2 decimals per line and per amount; totals are exact sums of lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils import timezone

from allocations.customs.checks import (
    GoodsIndex,
    compared_country,
    excluded_origins,
    exemptions_for,
    is_valid_hs_code,
    line_total,
    normalise_hs_code,
)
from allocations.customs.models import (
    EquipmentLine,
    ImportCase,
    ImportTaxRate,
    RegimeGoodsItem,
)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineRelief:
    position: int
    hs_code: str
    origin_country: str
    customs_value: Decimal
    duty_rate: Decimal | None  # None: no duty rate configured for this code
    vat_rate: Decimal | None
    duty: Decimal  # due without the regime
    vat: Decimal
    duty_relieved: Decimal
    vat_relieved: Decimal
    on_goods_list: bool
    goods_item: str  # the list item number, "" when the code is not on the list
    exempt_duty: bool
    exempt_vat: bool
    excluded_country: bool  # its origin or the case's dispatch country is excluded

    @property
    def duty_payable(self) -> Decimal:
        return self.duty - self.duty_relieved

    @property
    def vat_payable(self) -> Decimal:
        return self.vat - self.vat_relieved


@dataclass(frozen=True)
class Relief:
    currency: str
    on: date
    customs_value: Decimal
    duty: Decimal
    vat: Decimal
    duty_relieved: Decimal
    vat_relieved: Decimal
    per_line: list[LineRelief] = field(default_factory=list)
    # HS codes (formatted as stored) for which no duty rate is configured, and whether the
    # VAT rate is missing: their amounts count as 0 and the page should say so.
    missing_duty_rates: tuple[str, ...] = ()
    missing_vat_rate: bool = False

    @property
    def relieved(self) -> Decimal:
        return self.duty_relieved + self.vat_relieved

    @property
    def duty_payable(self) -> Decimal:
        return self.duty - self.duty_relieved

    @property
    def vat_payable(self) -> Decimal:
        return self.vat - self.vat_relieved


class _Rates:
    """Rates valid on one day, by kind and HS prefix (longest prefix wins, "" default)."""

    def __init__(self, rows):
        self.by_kind: dict[str, dict[str, Decimal]] = {}
        for kind, prefix, rate in rows:
            self.by_kind.setdefault(kind, {})[prefix] = rate

    def rate(self, kind: str, hs_code: str) -> Decimal | None:
        table = self.by_kind.get(kind) or {}
        for length in range(min(len(hs_code), 10), 0, -1):
            rate = table.get(hs_code[:length])
            if rate is not None:
                return rate
        return table.get("")


def rates_on(day: date) -> _Rates:
    """Every import tax rate valid on `day` (one query)."""
    rows = (
        ImportTaxRate.objects.filter(valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
        .values_list("kind", "hs_prefix", "rate")
        .order_by("kind", "hs_prefix", "valid_from")
    )
    return _Rates(rows)


def estimate_relief(*, case: ImportCase, on: date | None = None) -> Relief:
    """The duty and VAT the case's lines would pay without the regime and what the regime
    relieves, on `on` (default: the planned import date, else today). Three queries."""
    day = on or case.planned_import_date or timezone.localdate()
    regime = case.regime
    rates = rates_on(day)
    goods = GoodsIndex(RegimeGoodsItem.objects.filter(regime_id=regime.pk))
    excluded = excluded_origins(regime)
    lines = (
        EquipmentLine.objects.filter(case_id=case.pk)
        .only("position", "hs_code", "quantity", "unit_price", "origin_country")
        .order_by("position")
    )
    per_line: list[LineRelief] = []
    missing_duty: dict[str, None] = {}
    missing_vat = False
    for line in lines:
        code = normalise_hs_code(line.hs_code)
        value = line_total(line.quantity, line.unit_price)
        duty_rate = rates.rate(ImportTaxRate.Kind.DUTY, code)
        vat_rate = rates.rate(ImportTaxRate.Kind.VAT, code)
        if duty_rate is None:
            missing_duty[line.hs_code] = None
        if vat_rate is None:
            missing_vat = True
        item = goods.match(code) if is_valid_hs_code(code) else None
        origin = (line.origin_country or "").upper()
        compared = compared_country(regime, origin=origin, dispatch=case.dispatch_country)
        exempt_duty, exempt_vat = exemptions_for(regime, compared, excluded)
        if item is None:
            exempt_duty = exempt_vat = False
        duty = _money(value * (duty_rate or 0))
        vat = _money((value + duty) * (vat_rate or 0))
        duty_payable = ZERO if exempt_duty else duty
        vat_payable = ZERO if exempt_vat else _money((value + duty_payable) * (vat_rate or 0))
        per_line.append(
            LineRelief(
                position=line.position,
                hs_code=line.hs_code,
                origin_country=origin,
                customs_value=value,
                duty_rate=duty_rate,
                vat_rate=vat_rate,
                duty=duty,
                vat=vat,
                duty_relieved=duty - duty_payable,
                vat_relieved=vat - vat_payable,
                on_goods_list=item is not None,
                goods_item=item.item_number if item is not None else "",
                exempt_duty=exempt_duty,
                exempt_vat=exempt_vat,
                excluded_country=compared in excluded,
            )
        )
    return Relief(
        currency=case.currency,
        on=day,
        customs_value=sum((r.customs_value for r in per_line), ZERO),
        duty=sum((r.duty for r in per_line), ZERO),
        vat=sum((r.vat for r in per_line), ZERO),
        duty_relieved=sum((r.duty_relieved for r in per_line), ZERO),
        vat_relieved=sum((r.vat_relieved for r in per_line), ZERO),
        per_line=per_line,
        missing_duty_rates=tuple(missing_duty),
        missing_vat_rate=missing_vat and bool(per_line),
    )
