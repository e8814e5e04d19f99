"""Finance pages: tariffs, invoicing runs, invoices, credit notes, documents and exports."""

app_name = "billing"
urlpatterns: list = []
