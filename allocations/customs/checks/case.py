"""`check_case`: every check of an import case, on data read in a constant number of
queries."""

from __future__ import annotations

from collections import Counter
from datetime import date

from django_countries import countries

from allocations.customs.checks.lines import check_lines
from allocations.customs.checks.parties import check_parties
from allocations.customs.checks.problems import Collector, Problem
from allocations.customs.checks.regime import GoodsIndex, check_dispatch, check_regime
from allocations.customs.checks.required_documents import check_documents
from allocations.customs.checks.serials import check_serials
from allocations.customs.models import (
    CaseParty,
    EquipmentLine,
    ImportCase,
    RegimeGoodsItem,
    SerialNumber,
)


def _known_countries() -> frozenset[str]:
    return frozenset(code for code, _name in countries)


def check_case(*, case: ImportCase, today: date) -> list[Problem]:
    """Every problem of the case, case-wide ones first, then by line. Eight queries at most,
    whatever the number of lines and serials."""
    regime = case.regime
    known = _known_countries()
    out = Collector()
    parties = list(CaseParty.objects.filter(case_id=case.pk).order_by("role", "id"))
    # Plain rows rather than model instances: a case may have thousands of lines.
    lines = list(
        EquipmentLine.objects.filter(case_id=case.pk)
        .values_list(
            "pk",
            "position",
            "hs_code",
            "quantity",
            "unit",
            "unit_price",
            "currency",
            "origin_country",
            "is_datacentre_gpu",
            "export_licence_number",
            named=True,
        )
        .order_by("position")
    )
    serials = list(
        SerialNumber.objects.filter(line__case_id=case.pk).values_list("line_id", "serial")
    )
    serial_counts = Counter(line_id for line_id, _serial in serials)
    goods = GoodsIndex(RegimeGoodsItem.objects.filter(regime_id=regime.pk))
    kinds = set(case.attachments.values_list("kind", flat=True).distinct())
    positions = {line.pk: line.position for line in lines}

    check_regime(out, case, regime, today)
    check_dispatch(out, case, regime)
    check_parties(out, case, parties, known)
    check_documents(out, regime=regime, lines=lines, kinds=kinds)
    check_lines(
        out,
        case=case,
        regime=regime,
        lines=lines,
        goods=goods,
        serial_counts=serial_counts,
        known=known,
    )
    check_serials(out, case=case, serials=serials, positions=positions)
    # Case-wide problems first, then by line (stable: each line's problems keep their order).
    return sorted(out.problems, key=lambda p: (p.line is not None, p.line or 0))
