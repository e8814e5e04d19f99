"""Reference data of the customs area: import tax rates and three example regimes with
their goods lists (shared/KZ-FACTS.md). Staff maintain all of it on the regime pages
afterwards; loading again never overwrites their changes (get_or_create only).

Call `load_reference_data()` from the demo, or from a data migration as
`load_reference_data(apps=apps)` so that the migration's historical models are used.

The duty rates are examples, marked so in their note: check each against the EAEU Common
Customs Tariff (ETT EAEU) in force before relying on an estimate.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

EXAMPLE_NOTE = "Example rate: check the EAEU Common Customs Tariff."
ITA_NOTE = "0 % under the WTO Information Technology Agreement (check the EAEU tariff)."

# (kind, HS prefix, rate, valid from, valid to, note)
TAX_RATES = [
    ("vat", "", "0.1200", date(2009, 1, 1), date(2026, 1, 1), "Import VAT 12 % (Tax Code)."),
    ("vat", "", "0.1600", date(2026, 1, 1), None, "Import VAT 16 % from 1 January 2026."),
    ("duty", "8471", "0.0000", date(2015, 1, 1), None, f"Computers and units. {ITA_NOTE}"),
    ("duty", "847330", "0.0000", date(2015, 1, 1), None, f"Parts of computers. {ITA_NOTE}"),
    ("duty", "854231", "0.0000", date(2015, 1, 1), None, f"Processors (chips). {ITA_NOTE}"),
    ("duty", "851762", "0.0000", date(2015, 1, 1), None, f"Switches, routers. {ITA_NOTE}"),
    ("duty", "8544", "0.0500", date(2015, 1, 1), None, f"Cables. {EXAMPLE_NOTE}"),
    ("duty", "850440", "0.0200", date(2015, 1, 1), None, f"UPS, power supplies. {EXAMPLE_NOTE}"),
    ("duty", "940320", "0.0800", date(2015, 1, 1), None, f"Metal racks. {EXAMPLE_NOTE}"),
    ("duty", "8415", "0.0500", date(2015, 1, 1), None, f"Air conditioners. {EXAMPLE_NOTE}"),
    ("duty", "8418", "0.0300", date(2015, 1, 1), None, f"Chillers, CDUs. {EXAMPLE_NOTE}"),
    ("duty", "8419", "0.0200", date(2015, 1, 1), None, f"Heat exchangers. {EXAMPLE_NOTE}"),
]

# (HS prefix, list item no., description): what a data centre imports.
DATA_CENTRE_GOODS = [
    ("847150", "1", "Servers with GPU accelerators (complete systems)"),
    ("847330", "2", "GPU boards and modules (parts of computers)"),
    ("847170", "3", "Storage units and storage systems"),
    ("851762", "4", "Network switches and routers"),
    ("854442", "5", "Electric cables with connectors, up to 1,000 V"),
    ("854470", "6", "Optical fibre cables"),
    ("850440", "7", "Uninterruptible power supplies and power converters"),
    ("940320", "8", "Server racks (metal)"),
    ("8415", "9", "Precision air conditioners"),
    ("8418", "10", "Chillers and coolant distribution units"),
    ("8419", "11", "Heat exchangers and liquid cooling units"),
]

COMMON_DOCUMENTS = ["contract", "commercial_invoice", "packing_list", "transport_document"]

REGIMES = [
    {
        "code": "investment-contract",
        "name_en": "Investment contract: customs duty exemption on technological equipment",
        "name_ru": "Инвестиционный контракт: освобождение от таможенных пошлин на "
        "технологическое оборудование",
        "name_kk": "Инвестициялық келісімшарт: технологиялық жабдықты кедендік баждан босату",
        "legal_basis": (
            "Entrepreneurial Code of the Republic of Kazakhstan, investment preferences "
            "(exemption from customs duties on imports of technological equipment and its "
            "components under an investment contract, for up to 5 years from its "
            "registration); check the articles in force."
        ),
        "exempts_duty": True,
        "exempts_vat": False,
        "authority": (
            "Investment Committee of the Ministry of Foreign Affairs of the Republic of Kazakhstan"
        ),
        "valid_from": date(2025, 1, 1),
        "valid_to": date(2030, 1, 1),
        "excluded_origins": [],
        "exclusion_basis": "origin",
        "exclusion_removes": "both",
        "required_documents": [*COMMON_DOCUMENTS, "preference_document"],
        "report_every_months": 12,
        "monitoring_years": 5,
    },
    {
        "code": "astana-hub-vat",
        "name_en": "Astana Hub participants: import VAT exemption",
        "name_ru": "Участники Astana Hub: освобождение от НДС на импорт",
        "name_kk": "Astana Hub қатысушылары: импорттағы ҚҚС-тан босату",
        "legal_basis": (
            "Tax Code of the Republic of Kazakhstan: exemption from import VAT of goods "
            "imported by participants of the Astana Hub international technology park for "
            "their priority activities, on the list approved by the authorised body; not for "
            "goods imported from member states of the Eurasian Economic Union. Valid until "
            "1 January 2029; check the article in force."
        ),
        "exempts_duty": False,
        "exempts_vat": True,
        "authority": "Astana Hub international technology park and the State Revenue Committee",
        "valid_from": date(2019, 1, 1),
        "valid_to": date(2029, 1, 1),
        "excluded_origins": ["AM", "BY", "KG", "RU"],
        "exclusion_basis": "dispatch",
        "exclusion_removes": "vat",
        "required_documents": [*COMMON_DOCUMENTS, "preference_document"],
        "report_every_months": 12,
        "monitoring_years": 3,
    },
    {
        "code": "sez-special-investment-contract",
        "name_en": "Special investment contract in a special economic zone: duty and VAT",
        "name_ru": "Специальный инвестиционный контракт в специальной экономической зоне: "
        "пошлина и НДС",
        "name_kk": "Арнайы экономикалық аймақтағы арнайы инвестициялық келісімшарт: баж және ҚҚС",
        "legal_basis": (
            "Law of the Republic of Kazakhstan on special economic and industrial zones and "
            "the Entrepreneurial Code (special investment contract, up to 15 years): "
            "exemption from customs duties and import VAT on equipment placed under the free "
            "customs zone procedure; check the articles in force."
        ),
        "exempts_duty": True,
        "exempts_vat": True,
        "authority": "Management company of the special economic zone and the Ministry of "
        "Foreign Affairs investment committee",
        "valid_from": date(2025, 1, 1),
        "valid_to": None,
        "excluded_origins": [],
        "exclusion_basis": "origin",
        "exclusion_removes": "both",
        "required_documents": [*COMMON_DOCUMENTS, "preference_document"],
        "report_every_months": 12,
        "monitoring_years": 5,
    },
]


def _models(apps):
    if apps is None:
        from allocations.customs.models import ImportTaxRate, PreferenceRegime, RegimeGoodsItem

        return ImportTaxRate, PreferenceRegime, RegimeGoodsItem
    return (
        apps.get_model("allocations", "ImportTaxRate"),
        apps.get_model("allocations", "PreferenceRegime"),
        apps.get_model("allocations", "RegimeGoodsItem"),
    )


def load_reference_data(apps=None) -> dict[str, int]:
    """Create what is missing; return how many rows of each kind were created."""
    ImportTaxRate, PreferenceRegime, RegimeGoodsItem = _models(apps)
    created = {"rates": 0, "regimes": 0, "goods": 0}
    for kind, prefix, rate, start, end, note in TAX_RATES:
        _row, new = ImportTaxRate.objects.get_or_create(
            kind=kind,
            hs_prefix=prefix,
            valid_from=start,
            defaults={"rate": Decimal(rate), "valid_to": end, "note": note},
        )
        created["rates"] += new
    for spec in REGIMES:
        fields = dict(spec)
        regime, new = PreferenceRegime.objects.get_or_create(
            code=fields.pop("code"), defaults=fields
        )
        created["regimes"] += new
        if not new:
            continue  # staff own the list of an existing regime
        for prefix, item, description in DATA_CENTRE_GOODS:
            _item, added = RegimeGoodsItem.objects.get_or_create(
                regime=regime,
                hs_prefix=prefix,
                defaults={"item_number": item, "description": description},
            )
            created["goods"] += added
    return created
