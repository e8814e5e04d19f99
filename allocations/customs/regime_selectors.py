"""Reads for the regime pages: regimes with their status and case counts, one regime with
its goods list and history, the import tax rates, and the applicants' catalogue."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from allocations.core.audit import timeline_for
from allocations.customs.checks import CONTESTED_HEADINGS, format_hs_code
from allocations.customs.models import (
    INACTIVE_CASE_STATES,
    AttachmentKind,
    ImportTaxRate,
    PreferenceRegime,
    RegimeGoodsItem,
)

STATUS_LABELS = {
    "open": _("Open"),
    "upcoming": _("Not yet valid"),
    "expired": _("Expired"),
    "closed": _("Closed for new cases"),
}


def regime_status(regime: PreferenceRegime, today: date) -> str:
    if regime.valid_to is not None and regime.valid_to <= today:
        return "expired"
    if not regime.is_active:
        return "closed"
    if regime.valid_from > today:
        return "upcoming"
    return "open"


def localised_name(regime: PreferenceRegime) -> str:
    """The regime's name in the language of the request (English when there is none)."""
    language = (get_language() or "en")[:2]
    return getattr(regime, f"name_{language}", "") or regime.name_en


def _decorate(regime: PreferenceRegime, today: date) -> PreferenceRegime:
    """Attributes the templates show: status, names of countries and documents."""
    regime.display_name = localised_name(regime)
    regime.status = regime_status(regime, today)
    regime.status_label = STATUS_LABELS[regime.status]
    origins = regime.excluded_origins if isinstance(regime.excluded_origins, list) else []
    regime.excluded_names = [countries.name(code) or code for code in origins]
    documents = regime.required_documents if isinstance(regime.required_documents, list) else []
    labels = dict(AttachmentKind.choices)
    regime.document_labels = [labels.get(kind, kind) for kind in documents]
    return regime


def _decorate_goods(items) -> list[RegimeGoodsItem]:
    for item in items:
        item.formatted = format_hs_code(item.hs_prefix)
        item.contested = item.hs_prefix.startswith(CONTESTED_HEADINGS) or any(
            heading.startswith(item.hs_prefix) for heading in CONTESTED_HEADINGS
        )
    return list(items)


def regime_list(*, today: date) -> list[PreferenceRegime]:
    """Every regime with its number of cases and goods items (one query), open ones first."""
    regimes = PreferenceRegime.objects.annotate(
        case_count=Count("cases", distinct=True),
        open_case_count=Count(
            "cases", filter=~Q(cases__state__in=INACTIVE_CASE_STATES), distinct=True
        ),
        goods_count=Count("goods", distinct=True),
    ).order_by("code")
    order = {"open": 0, "upcoming": 1, "closed": 2, "expired": 3}
    decorated = [_decorate(regime, today) for regime in regimes]
    return sorted(decorated, key=lambda r: (order[r.status], r.code))


def regime(*, pk: int) -> PreferenceRegime:
    return get_object_or_404(PreferenceRegime, pk=pk)


def regime_page(*, regime: PreferenceRegime, today: date) -> dict:
    """One regime for the desk: its goods list, number of cases and history."""
    goods = _decorate_goods(RegimeGoodsItem.objects.filter(regime=regime).order_by("hs_prefix"))
    return {
        "regime": _decorate(regime, today),
        "goods": goods,
        "case_count": regime.cases.count(),
        "timeline": list(timeline_for(regime)),
    }


def tax_rates_page(*, today: date) -> dict:
    rates = list(ImportTaxRate.objects.order_by("kind", "hs_prefix", "valid_from"))
    for rate in rates:
        rate.percent = rate.rate * 100
        rate.formatted_prefix = format_hs_code(rate.hs_prefix) if rate.hs_prefix else ""
        rate.current = rate.valid_from <= today and (rate.valid_to is None or today < rate.valid_to)
    return {
        "duty_rates": [r for r in rates if r.kind == ImportTaxRate.Kind.DUTY],
        "vat_rates": [r for r in rates if r.kind == ImportTaxRate.Kind.VAT],
    }


def tax_rate(*, pk: int) -> ImportTaxRate:
    return get_object_or_404(ImportTaxRate, pk=pk)


def regime_catalogue(*, today: date) -> list[PreferenceRegime]:
    """Regimes open for new cases and not expired, with their goods lists (two queries)."""
    regimes = (
        PreferenceRegime.objects.filter(is_active=True)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=today))
        .prefetch_related(Prefetch("goods", queryset=RegimeGoodsItem.objects.order_by("hs_prefix")))
        .order_by("valid_from", "code")
    )
    result = []
    for item in regimes:
        _decorate(item, today)
        item.goods_list = _decorate_goods(item.goods.all())
        result.append(item)
    return result
