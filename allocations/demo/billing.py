"""The demo's seller and its tariffs per organisation category: a price change in
mid-November for startups, so an invoice shows split lines."""

from decimal import Decimal

from allocations.accounts.models import OrganisationCategory
from allocations.billing.models import SellerProfile, Tariff
from allocations.calls.models import Resource

SELLER = {
    "name_kk": "«Ұлттық суперкомпьютер орталығы» АҚ",
    "name_ru": "АО «Национальный суперкомпьютерный центр»",
    "name_en": "National Supercomputer Centre JSC",
    "bin": "990140004654",
    "address_kk": "Астана қ., Мәңгілік Ел д-лы, 55",
    "address_ru": "г. Астана, пр. Мангилик Ел, 55",
    "address_en": "55 Mangilik El Ave, Astana",
    "iik": "KZ86125KZT5004100100",
    "bik": "HSBKKZKX",
    "bank_name": "Halyk Bank of Kazakhstan JSC",
    "kbe": "16",
    "director": "A. Serikbayev",
    "accountant": "G. Nurlanova",
}
# Price per GPU-hour by category: (valid from, valid to or None, price).
PRICES = {
    OrganisationCategory.STARTUP: [("2026-01-01", "2026-11-15", "1100.00"),
                                   ("2026-11-15", None, "1200.00")],
    OrganisationCategory.COMPANY: [("2026-01-01", None, "2400.00")],
    OrganisationCategory.UNIVERSITY: [("2026-01-01", None, "900.00")],
    OrganisationCategory.RESEARCH: [("2026-01-01", None, "900.00")],
    OrganisationCategory.GOVERNMENT: [("2026-01-01", None, "1500.00")],
}  # fmt: skip


def load_billing(*, h200: Resource) -> None:
    if not SellerProfile.objects.exists():
        SellerProfile.objects.create(**SELLER)
    for category, periods in PRICES.items():
        for valid_from, valid_to, price in periods:
            Tariff.objects.get_or_create(
                resource=h200,
                category=category,
                valid_from=valid_from,
                defaults={"valid_to": valid_to, "price_per_gpu_hour": Decimal(price)},
            )
