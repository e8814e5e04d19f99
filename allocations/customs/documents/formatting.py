"""How the documents print numbers, dates, countries and regimes.

Numbers are printed with digits grouped by no-break spaces and a decimal comma; dates as
dd.mm.yyyy; countries by name in each language of the document, then their ISO code.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path

from django.utils import timezone, translation

from allocations.customs.documents.labels import Label

NBSP = "\u00a0"

# Kazakh names of the usual countries of origin of data-centre equipment (django-countries
# has no Kazakh catalogue); other countries fall back to the Russian name.
KAZAKH_COUNTRY_NAMES = {
    "CN": "Қытай",
    "TW": "Тайвань",
    "US": "АҚШ",
    "MY": "Малайзия",
    "MX": "Мексика",
    "TH": "Таиланд",
    "VN": "Вьетнам",
    "KR": "Корея Республикасы",
    "JP": "Жапония",
    "DE": "Германия",
    "NL": "Нидерланд",
    "IL": "Израиль",
    "SG": "Сингапур",
    "CZ": "Чехия",
    "HU": "Венгрия",
    "PH": "Филиппин",
    "IN": "Үндістан",
    "KZ": "Қазақстан",
    "RU": "Ресей",
    "GB": "Ұлыбритания",
    "FR": "Франция",
    "IT": "Италия",
    "PL": "Польша",
    "IE": "Ирландия",
    "CH": "Швейцария",
    "SE": "Швеция",
    "FI": "Финляндия",
    "TR": "Түркия",
    "ID": "Индонезия",
    "CA": "Канада",
    "AE": "БАӘ",
    "BY": "Беларусь",
    "KG": "Қырғызстан",
    "AM": "Армения",
    "UZ": "Өзбекстан",
}

# Short Russian names where django-countries gives the long official one.
SHORT_RUSSIAN_NAMES = {
    "US": "США",
    "GB": "Великобритания",
    "KR": "Республика Корея",
    "AE": "ОАЭ",
    "RU": "Россия",
    "TW": "Тайвань",
}


def group_number(value: Decimal, places: int) -> str:
    """Decimal("1234567.5") → "1 234 567,50" (no-break spaces), rounded half up."""
    value = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    sign = "-" if value < 0 else ""
    whole, _dot, fraction = f"{abs(value):f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", NBSP)
    return f"{sign}{grouped},{fraction}" if places else f"{sign}{grouped}"


def money(value: Decimal) -> str:
    return group_number(value, 2)


def quantity_text(value: Decimal) -> str:
    """Quantities have 3 decimals in the database; 8.000 prints "8", 2.500 "2,5"."""
    value = Decimal(value)
    places = max(0, -value.normalize().as_tuple().exponent)
    return group_number(value, min(places, 3))


def dmy(value: date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else ""


def local_date(moment) -> date | None:
    return timezone.localdate(moment) if moment else None


@lru_cache(maxsize=4)
def _countries_catalogue(language: str):
    """django-countries' own catalogue (the package is not an installed app here)."""
    import gettext

    import django_countries

    localedir = Path(django_countries.__file__).resolve().parent / "locale"
    try:
        return gettext.translation("django", localedir=str(localedir), languages=[language])
    except OSError:
        return None


@lru_cache(maxsize=512)
def country_name(code: str, language: str) -> str:
    from django_countries import countries

    code = (code or "").upper()
    with translation.override("en"):
        english = str(countries.name(code)) or code
    if language == "kk" and code in KAZAKH_COUNTRY_NAMES:
        return KAZAKH_COUNTRY_NAMES[code]
    if language in ("kk", "ru") and code in SHORT_RUSSIAN_NAMES:
        return SHORT_RUSSIAN_NAMES[code]
    if language in ("kk", "ru"):
        catalogue = _countries_catalogue("ru")
        return catalogue.gettext(english) if catalogue else english
    return english


def country_text(code: str, languages: tuple[str, ...]) -> str:
    """ "Қытай / Китай (CN)"."""
    if not code:
        return ""
    names = Label([country_name(code, language) for language in languages])
    return f"{names} ({code.upper()})"


def regime_name(regime, language: str) -> str:
    return getattr(regime, f"name_{language}", "") or regime.name_ru or regime.name_en
