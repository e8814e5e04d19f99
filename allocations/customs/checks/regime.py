"""The preference regime of a case: its goods list, its excluded countries, its validity,
and the check of the regime, the planned import date and the country of dispatch."""

from __future__ import annotations

from datetime import date

from django.utils.formats import date_format
from django_countries import countries

from allocations.customs.checks.problems import Collector, _
from allocations.customs.models import (
    ExclusionBasis,
    ImportCase,
    PreferenceRegime,
    RegimeGoodsItem,
)


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


def compared_country(regime: PreferenceRegime, *, origin: str, dispatch: str) -> str:
    """The country of a line that the regime's excluded countries are compared with: the
    line's origin, or the case's country of dispatch (ExclusionBasis)."""
    country = dispatch if regime.exclusion_basis == ExclusionBasis.DISPATCH else origin
    return (country or "").strip().upper()


def exemptions_for(regime: PreferenceRegime, country: str, excluded=None) -> tuple[bool, bool]:
    """(duty exempt, VAT exempt) under the regime for goods whose compared country (see
    compared_country) is `country`, after its exclusions. `excluded` may pass
    excluded_origins(regime) computed once."""
    excluded = excluded_origins(regime) if excluded is None else excluded
    duty, vat = bool(regime.exempts_duty), bool(regime.exempts_vat)
    if (country or "").upper() in excluded:
        removes = regime.exclusion_removes
        if removes in ("duty", "both"):
            duty = False
        if removes in ("vat", "both"):
            vat = False
    return duty, vat


def relief_lost(regime: PreferenceRegime, country: str, excluded) -> tuple[bool, bool]:
    """(duty lost, VAT lost): what goods of an excluded `country` lose of what the regime
    gives (nothing when the exclusion removes an exemption the regime does not give)."""
    duty, vat = exemptions_for(regime, country, excluded)
    return bool(regime.exempts_duty and not duty), bool(regime.exempts_vat and not vat)


def relief_names(duty: bool, vat: bool) -> str:
    if duty and vat:
        return _("the customs duty and import VAT exemptions")
    if duty:
        return _("the customs duty exemption")
    return _("the import VAT exemption")


def check_dispatch(out: Collector, case: ImportCase, regime: PreferenceRegime) -> None:
    """A regime that excludes shipments by their country of dispatch needs that country,
    and a case dispatched from an excluded country loses what the exclusion removes, on
    every line at once."""
    excluded = excluded_origins(regime)
    if regime.exclusion_basis != ExclusionBasis.DISPATCH or not excluded:
        return
    dispatch = (case.dispatch_country or "").strip().upper()
    if not dispatch:
        out.add(
            "dispatch_missing",
            _("Give the country of dispatch: “%(regime)s” excludes shipments from %(countries)s.")
            % {
                "regime": regime.name_en,
                "countries": ", ".join(countries.name(code) or code for code in sorted(excluded)),
            },
            field="dispatch_country",
        )
        return
    lost_duty, lost_vat = relief_lost(regime, dispatch, excluded)
    if not (lost_duty or lost_vat):
        return
    values = {
        "country": countries.name(dispatch) or dispatch,
        "regime": regime.name_en,
        "lost": relief_names(lost_duty, lost_vat),
    }
    keeps_something = (regime.exempts_duty and not lost_duty) or (
        regime.exempts_vat and not lost_vat
    )
    if keeps_something:
        out.add(
            "dispatch_excluded",
            _(
                "Goods dispatched from %(country)s lose %(lost)s of “%(regime)s”; that tax "
                "will be due on import."
            )
            % values,
            field="dispatch_country",
        )
    else:
        out.add(
            "dispatch_excluded_no_relief",
            _(
                "Goods dispatched from %(country)s are excluded from “%(regime)s” and lose "
                "%(lost)s, so the regime relieves nothing for this case. Ship them from "
                "another country or choose another regime."
            )
            % values,
            field="dispatch_country",
        )


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
