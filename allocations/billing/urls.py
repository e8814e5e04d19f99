"""Finance pages: tariffs, invoicing runs, invoices, credit notes, documents and exports;
and the applicants' invoice pages of their organisations."""

from django.urls import path

from allocations.billing.views import applicant, downloads, invoices, runs, tariffs, value

app_name = "billing"
urlpatterns = [
    # Teams and staff: what an allocation's compute is worth (free tracks too)
    path("allocations/<int:pk>/value/", value.allocation_value, name="allocation_value"),
    # Finance: tariffs, tracks, seller
    path("staff/billing/tariffs/", tariffs.tariff_list, name="tariff_list"),
    path("staff/billing/tariffs/<int:pk>/", tariffs.tariff_edit, name="tariff_edit"),
    path("staff/billing/tariffs/<int:pk>/delete/", tariffs.tariff_delete, name="tariff_delete"),
    path("staff/billing/tracks/", tariffs.track_billing, name="track_billing"),
    path("staff/billing/seller/", tariffs.seller_profile, name="seller_profile"),
    # Finance: invoicing runs
    path("staff/billing/runs/", runs.run_list, name="run_list"),
    path("staff/billing/runs/<int:pk>/", runs.run_detail, name="run_detail"),
    # Finance: invoices
    path("staff/billing/invoices/", invoices.invoice_list, name="invoice_list"),
    path(
        "staff/billing/registers/<slug:kind>.<slug:fmt>",
        invoices.register,
        name="register",
    ),
    path("staff/billing/invoices/<int:pk>/", invoices.invoice_detail, name="invoice_detail"),
    path("staff/billing/invoices/<int:pk>/issue/", invoices.invoice_issue, name="invoice_issue"),
    path(
        "staff/billing/invoices/<int:pk>/discard/",
        invoices.invoice_discard,
        name="invoice_discard",
    ),
    path("staff/billing/invoices/<int:pk>/paid/", invoices.invoice_paid, name="invoice_paid"),
    path("staff/billing/invoices/<int:pk>/cancel/", invoices.invoice_cancel, name="invoice_cancel"),
    path(
        "staff/billing/invoices/<int:pk>/credit-notes/",
        invoices.credit_note_create,
        name="credit_note_create",
    ),
    path(
        "staff/billing/invoices/<int:pk>/<slug:kind>.pdf",
        downloads.invoice_download,
        name="invoice_download",
    ),
    path("staff/billing/invoices/<int:pk>/esf.xml", downloads.esf_download, name="esf_download"),
    path(
        "staff/billing/credit-notes/<int:pk>.pdf",
        downloads.credit_note_download,
        name="credit_note_download",
    ),
    # Applicants: their organisation's invoices (owners and billing contacts)
    path(
        "organisations/<int:pk>/invoices/",
        applicant.organisation_invoices,
        name="organisation_invoices",
    ),
    path(
        "organisations/<int:pk>/invoices/<int:invoice_pk>/<slug:kind>.pdf",
        downloads.organisation_invoice_download,
        name="organisation_invoice_download",
    ),
    path(
        "organisations/<int:pk>/credit-notes/<int:credit_note_pk>.pdf",
        downloads.organisation_credit_note_download,
        name="organisation_credit_note_download",
    ),
]
