"""The check of a case's equipment lines, one by one: HS code against the regime's goods
list, country of origin, serial numbers per piece, money, the export licence of GPUs."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import ngettext
from django_countries import countries

from allocations.customs.checks.problems import Collector, _
from allocations.customs.checks.regime import (
    GoodsIndex,
    excluded_origins,
    relief_lost,
    relief_names,
)
from allocations.customs.checks.values import (
    format_hs_code,
    is_valid_hs_code,
    line_total,
    normalise_hs_code,
)
from allocations.customs.models import ExclusionBasis, ImportCase, PreferenceRegime

# GPU boards and modules: customs practice is split between these headings.
CONTESTED_HEADINGS = ("847330", "847180", "854231")
# Units counted in pieces: each piece has its own serial number.
COUNTABLE_UNITS = frozenset({"pcs", "pc", "piece", "pieces", "шт", "шт."})
# EquipmentLine.unit_price and totals are stored as 18 digits with 2 decimals.
MONEY_LIMIT = Decimal(10) ** 16


def check_lines(
    out: Collector,
    *,
    case: ImportCase,
    regime: PreferenceRegime,
    lines: list,
    goods: GoodsIndex,
    serial_counts: dict[int, int],
    known,
):
    # Excluded countries compared with the country of dispatch are checked once for the
    # whole case (check_dispatch), not line by line.
    by_origin = regime.exclusion_basis == ExclusionBasis.ORIGIN
    excluded = excluded_origins(regime) if by_origin else frozenset()
    if not lines:
        out.add("no_lines", _("Add at least one equipment line."), field="lines")
        return
    if not goods:
        out.add(
            "regime_no_goods_list",
            _(
                "The regime “%(regime)s” has no goods list yet, so no line can be matched to "
                "it. Ask the import desk to complete the list."
            )
            % {"regime": regime.name_en},
            field="regime",
        )
    total = Decimal(0)
    for line in lines:
        pos = line.position
        code = normalise_hs_code(line.hs_code)
        if not is_valid_hs_code(code):
            out.add(
                "hs_code_format",
                _(
                    "Line %(line)s: the HS code “%(code)s” must have 10 digits, written like "
                    "8471 50 000 0."
                )
                % {"line": pos, "code": line.hs_code},
                line=pos,
                field="hs_code",
            )
            item = None
        else:
            item = goods.match(code)
            if item is None and goods:
                out.add(
                    "hs_code_not_in_list",
                    _(
                        "Line %(line)s: the HS code %(code)s is not on the goods list of "
                        "“%(regime)s”, so these goods would not be relieved. Check the code, "
                        "choose another regime, or remove the line."
                    )
                    % {"line": pos, "code": format_hs_code(code), "regime": regime.name_en},
                    line=pos,
                    field="hs_code",
                )
            if code.startswith(CONTESTED_HEADINGS):
                listed = (
                    _(" It matches list item %(item)s (%(prefix)s).")
                    % {"item": item.item_number, "prefix": format_hs_code(item.hs_prefix)}
                    if item is not None
                    else ""
                )
                out.add(
                    "hs_code_contested",
                    _(
                        "Line %(line)s: GPU boards and modules are classified differently in "
                        "practice: 8473 30 (parts of computers), 8471 80 (other units of "
                        "computers) or 8542 31 (processors as integrated circuits). Customs "
                        "may reclassify them at declaration; if the new heading is not on the "
                        "goods list, the exemption is lost and duty, VAT and penalties are "
                        "charged. Keep the manufacturer's technical description or a "
                        "preliminary classification decision in the file.%(listed)s"
                    )
                    % {"line": pos, "listed": listed},
                    line=pos,
                    field="hs_code",
                )

        origin = (line.origin_country or "").strip().upper()
        if origin not in known:
            out.add(
                "origin_missing",
                _("Line %(line)s: choose the country of origin.") % {"line": pos},
                line=pos,
                field="origin_country",
            )
        elif origin in excluded:
            lost_duty, lost_vat = relief_lost(regime, origin, excluded)
            lost = relief_names(lost_duty, lost_vat)
            country = countries.name(origin) or origin
            keeps_something = (regime.exempts_duty and not lost_duty) or (
                regime.exempts_vat and not lost_vat
            )
            if not (lost_duty or lost_vat):
                pass  # the exclusion removes an exemption this regime does not give
            elif not keeps_something:
                out.add(
                    "origin_excluded_no_relief",
                    _(
                        "Line %(line)s: goods from %(country)s are excluded from “%(regime)s” "
                        "and lose %(lost)s, so the regime relieves nothing for this line. "
                        "Import them under another regime or remove the line."
                    )
                    % {"line": pos, "country": country, "regime": regime.name_en, "lost": lost},
                    line=pos,
                    field="origin_country",
                )
            else:
                out.add(
                    "origin_excluded",
                    _(
                        "Line %(line)s: goods from %(country)s lose %(lost)s of “%(regime)s”; "
                        "that tax will be due on import."
                    )
                    % {"line": pos, "country": country, "regime": regime.name_en, "lost": lost},
                    line=pos,
                    field="origin_country",
                )

        # Serial numbers: one per piece.
        if (line.unit or "").strip().lower() in COUNTABLE_UNITS:
            quantity = line.quantity
            if quantity != quantity.to_integral_value():
                out.add(
                    "quantity_not_whole",
                    _("Line %(line)s: a quantity in pieces is a whole number, not %(qty)s.")
                    % {"line": pos, "qty": quantity.normalize()},
                    line=pos,
                    field="quantity",
                )
            else:
                have = serial_counts.get(line.pk, 0)
                if have != quantity:
                    out.add(
                        "serial_count",
                        ngettext(
                            "Line %(line)s: %(qty)s pieces need %(qty)s serial numbers; "
                            "%(have)s is given.",
                            "Line %(line)s: %(qty)s pieces need %(qty)s serial numbers; "
                            "%(have)s are given.",
                            have,
                        )
                        % {"line": pos, "qty": int(quantity), "have": have},
                        line=pos,
                        field="serials",
                    )

        # Money.
        if (line.currency or "").strip().upper() != (case.currency or "").strip().upper():
            out.add(
                "currency_mismatch",
                _(
                    "Line %(line)s is priced in %(currency)s but the contract is in "
                    "%(contract)s. Check that the commercial invoice says the same; the "
                    "annex totals each currency separately."
                )
                % {"line": pos, "currency": line.currency, "contract": case.currency},
                line=pos,
                field="currency",
            )
        amount = line_total(line.quantity, line.unit_price)
        if amount >= MONEY_LIMIT:
            out.add(
                "line_total_too_large",
                _(
                    "Line %(line)s: quantity × unit price is too large to record. Check the "
                    "quantity and the unit price."
                )
                % {"line": pos},
                line=pos,
                field="unit_price",
            )
        elif line.unit_price == 0:
            out.add(
                "unit_price_zero",
                _(
                    "Line %(line)s has no price. Customs values free goods too: give the "
                    "value stated in the invoice."
                )
                % {"line": pos},
                line=pos,
                field="unit_price",
            )
        total += amount

        if line.is_datacentre_gpu and not line.export_licence_number.strip():
            out.add(
                "licence_number_missing",
                _(
                    "Line %(line)s: data-centre GPUs (H100/H200 class) need the exporter's "
                    "licence. Enter the export licence number."
                )
                % {"line": pos},
                line=pos,
                field="export_licence_number",
            )

    if total >= MONEY_LIMIT:
        out.add(
            "total_too_large",
            _("The case total is too large to record. Split the equipment over several cases."),
            field="lines",
        )
    elif total == 0:
        out.add(
            "total_zero",
            _("The case total is zero. Give the unit prices stated in the commercial invoice."),
            field="lines",
        )
