"""The labels of the bilingual documents: every text they print, in one language or two.

Kazakh and Russian labels are printed together ("Kazakh / Russian"); the English msgids are
translated by the project's catalogues, so a label exists once whatever the language.
"""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext_noop, pgettext_lazy

# Print languages of the bilingual documents → the languages of their labels.
LANGUAGE_SETS: dict[str, tuple[str, ...]] = {
    "kk+ru": ("kk", "ru"),
    "kk": ("kk",),
    "ru": ("ru",),
    "en": ("en",),
}
BILINGUAL = "kk+ru"

# Every label the bilingual documents print. English msgids; the catalogues translate.
LABELS: dict[str, str] = {
    "annex_title": gettext_noop("Equipment annex"),
    "annex_to": gettext_noop("Annex to the application %(reference)s"),
    "importer": gettext_noop("Importer"),
    "bin": gettext_noop("BIN"),
    "address": gettext_noop("Address"),
    "regime": gettext_noop("Preference regime"),
    "legal_basis": gettext_noop("Legal basis"),
    "authority": gettext_noop("Authority"),
    "contract": gettext_noop("Contract"),
    "contract_of": gettext_noop("No. %(number)s of %(date)s"),
    "planned_import_date": gettext_noop("Planned import date"),
    "installation_site": gettext_noop("Installation site"),
    "case": gettext_noop("Case"),
    "col_no": gettext_noop("No."),
    "col_name": gettext_noop("Name (description)"),
    "col_manufacturer": gettext_noop("Manufacturer"),
    "col_model": gettext_noop("Model"),
    "col_hs": gettext_noop("HS code"),
    "col_quantity": gettext_noop("Quantity"),
    "col_unit": gettext_noop("Unit"),
    "col_unit_price": gettext_noop("Unit price"),
    "col_total": gettext_noop("Total"),
    "col_currency": gettext_noop("Currency"),
    "col_origin": gettext_noop("Country of origin"),
    "col_origin_code": gettext_noop("Country code"),
    "col_serials": gettext_noop("Serial numbers"),
    "col_lines": gettext_noop("Lines"),
    "total_in": gettext_noop("Total, %(currency)s"),
    "totals": gettext_noop("Totals per currency"),
    "counts": gettext_noop("Lines: %(lines)s; serial numbers: %(serials)s"),
    "page": gettext_noop("Page %(page)s of %(pages)s"),
    "draft": gettext_noop("DRAFT: not submitted"),
    "serials_cut": gettext_noop("(%(count)s serial numbers: see the sheet Serials)"),
    "importer_signature": gettext_noop("For the importer: position, full name, signature"),
    "stamp": gettext_noop("Place of the seal"),
    "confirmation_title": gettext_noop("Confirmation of the import preference"),
    "registry_number": gettext_noop("Registry number"),
    "issued": gettext_noop("Date of issue"),
    "valid_until": gettext_noop("Valid until"),
    "exemption": gettext_noop("Exemption"),
    "duty": gettext_noop("customs duty"),
    "vat": gettext_noop("import VAT"),
    "equipment": gettext_noop("Equipment"),
    "summary_note": gettext_noop(
        "One row per HS code; every line with its serial numbers is in the equipment annex."
    ),
    "annex_sha": gettext_noop("Equipment annex, SHA-256"),
    "verification_code": gettext_noop("Verification code"),
    "verify_note": gettext_noop(
        "Anyone holding this code can check the confirmation at this address or by scanning "
        "the QR code; the page shows whether it is valid, expired or revoked."
    ),
    "issuer": gettext_noop("National AI Compute Centre, import desk"),
    "issuer_sub": gettext_noop("Astana, Republic of Kazakhstan"),
    "confirmation_statement": gettext_noop(
        "The import desk confirms that the import case below was reviewed and that the "
        "equipment listed qualifies for the preference of the regime named, within the "
        "quantities and values stated."
    ),
    "monitoring_note": gettext_noop(
        "The equipment must stay at the declared site for its declared use; the importer "
        "reports on its use while the monitoring lasts."
    ),
    "sheet_case": gettext_noop("Case"),
}

# Units as printed (translated when printed); other units are printed as entered.
UNIT_LABELS = {
    "pcs": pgettext_lazy("unit of measure", "pcs"),
    "pc": pgettext_lazy("unit of measure", "pcs"),
    "set": pgettext_lazy("unit of measure", "set"),
    "m": pgettext_lazy("unit of measure", "m"),
    "kg": pgettext_lazy("unit of measure", "kg"),
}


class Label:
    """One text in every language of a document: printed "Kazakh / Russian", or one per
    line (`lines`); a text that reads the same in both is printed once."""

    def __init__(self, parts):
        self.lines = list(dict.fromkeys(part for part in parts if part))

    def __str__(self) -> str:
        return " / ".join(self.lines)


def languages_of(language: str) -> tuple[str, ...]:
    try:
        return LANGUAGE_SETS[language]
    except KeyError:
        raise ValueError(f"unsupported document language {language!r}") from None


def labels(languages: tuple[str, ...]) -> dict[str, Label]:
    translated: dict[str, list[str]] = {key: [] for key in LABELS}
    for language in languages:
        with translation.override(language):
            for key, msgid in LABELS.items():
                translated[key].append(translation.gettext(msgid))
    return {key: Label(parts) for key, parts in translated.items()}


def label_with(languages: tuple[str, ...], key: str, **values) -> Label:
    """A label with placeholders, filled in each language."""
    parts = []
    for language in languages:
        with translation.override(language):
            parts.append(translation.gettext(LABELS[key]) % values)
    return Label(parts)


def unit_label(unit: str, languages: tuple[str, ...]) -> str:
    text = UNIT_LABELS.get((unit or "").strip().lower())
    if text is None:
        return unit
    parts = []
    for language in languages:
        with translation.override(language):
            parts.append(str(text))
    return str(Label(parts))
