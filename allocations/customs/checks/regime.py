"""The preference regime of a case: its goods list, its origin exclusions, its validity,
and the check of the regime and the planned import date."""

from __future__ import annotations

from datetime import date

from django.utils.formats import date_format

from allocations.customs.checks.problems import Collector, _
from allocations.customs.models import ImportCase, PreferenceRegime, RegimeGoodsItem


class GoodsIndex:
    """A regime's goods list, matched by the longest HS prefix (at most 9 dict look-ups)."""

    def __init__(self, items):
        self.by_prefix: dict[str, RegimeGoodsItem] = {item.hs_prefix: item for item in items}
        self.lengths = sorted({len(prefix) for prefix in self.by_prefix}, reverse=True)

    def __bool__(self) -> bool:
        return bool(self.by_prefix)

    def match(self, hs_code: str) -> RegimeGoodsItem | None:
        for length in self.lengths:
            if length <= len(hs_code):
                item = self.by_prefix.get(hs_code[:length])
                if item is not None:
                    return item
        return None


def excluded_origins(regime: PreferenceRegime) -> frozenset[str]:
    value = regime.excluded_origins
    if not isinstance(value, list | tuple):
        return frozenset()
    return frozenset(str(code).strip().upper() for code in value if code)


def exemptions_for(regime: PreferenceRegime, origin: str, excluded=None) -> tuple[bool, bool]:
    """(duty exempt, VAT exempt) for goods of this origin under the regime, after its origin
    exclusions. `excluded` may pass excluded_origins(regime) computed once."""
    excluded = excluded_origins(regime) if excluded is None else excluded
    duty, vat = bool(regime.exempts_duty), bool(regime.exempts_vat)
    if (origin or "").upper() in excluded:
        removes = regime.exclusion_removes
        if removes in ("duty", "both"):
            duty = False
        if removes in ("vat", "both"):
            vat = False
    return duty, vat


def regime_valid_on(regime: PreferenceRegime, day: date) -> bool:
    return regime.valid_from <= day and (regime.valid_to is None or day < regime.valid_to)


def check_regime(out: Collector, case: ImportCase, regime: PreferenceRegime, today: date):
    planned = case.planned_import_date
    if planned is None:
        out.add(
            "planned_date_missing",
            _("Give the planned import date: the regime must be valid on the day of import."),
            field="planned_import_date",
        )
    elif planned < today:
        out.add(
            "planned_date_past",
            _(
                "The planned import date %(date)s has passed. Give the new date if the "
                "equipment has not been imported yet."
            )
            % {"date": date_format(planned)},
            field="planned_import_date",
        )
    if not regime.is_active:
        out.add(
            "regime_inactive",
            _(
                "The regime “%(regime)s” is closed for new cases. Choose another regime or "
                "ask the import desk."
            )
            % {"regime": regime.name_en},
            field="regime",
        )
    day = planned or today
    if not regime_valid_on(regime, day):
        if regime.valid_to is None:
            period = _("from %(start)s") % {"start": date_format(regime.valid_from)}
        else:
            period = _("from %(start)s until %(end)s (exclusive)") % {
                "start": date_format(regime.valid_from),
                "end": date_format(regime.valid_to),
            }
        out.add(
            "regime_not_valid",
            _(
                "The regime “%(regime)s” is valid %(period)s, not on %(date)s. Change the "
                "planned import date or choose another regime."
            )
            % {"regime": regime.name_en, "period": period, "date": date_format(day)},
            field="planned_import_date" if planned else "regime",
        )
