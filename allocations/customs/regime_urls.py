"""Customs routes (regime_urls); included by allocations/customs/urls.py.

The import desk (Capability.MANAGE_IMPORTS) maintains regimes, their goods lists and the
import tax rates; every signed-in user reads the catalogue of regimes open for new cases.
"""

from django.urls import path

from allocations.customs.views import regimes

urlpatterns = [
    # Everyone signed in: the regimes importers may choose from
    path("imports/regimes/", regimes.regime_catalogue, name="regime_catalogue"),
    # Import desk: regimes and their goods lists
    path("imports/desk/regimes/", regimes.regime_list, name="regime_list"),
    path("imports/desk/regimes/new/", regimes.regime_create, name="regime_create"),
    path("imports/desk/regimes/<int:pk>/", regimes.regime_edit, name="regime_edit"),
    path("imports/desk/regimes/<int:pk>/goods/", regimes.regime_goods, name="regime_goods"),
    path(
        "imports/desk/regimes/<int:pk>/goods/<int:item_pk>/delete/",
        regimes.regime_goods_delete,
        name="regime_goods_delete",
    ),
    # Import desk: customs duty and import VAT rates for the relief estimates
    path("imports/desk/tax-rates/", regimes.tax_rate_list, name="tax_rate_list"),
    path("imports/desk/tax-rates/<int:pk>/", regimes.tax_rate_edit, name="tax_rate_edit"),
    path(
        "imports/desk/tax-rates/<int:pk>/delete/",
        regimes.tax_rate_delete,
        name="tax_rate_delete",
    ),
]
