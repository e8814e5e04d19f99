"""Views of the billing area, by page: tariffs and seller, invoicing runs, invoices and
their actions, document downloads, and the applicants' invoice pages."""
