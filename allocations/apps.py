from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AllocationsConfig(AppConfig):
    name = "allocations"
    verbose_name = _("Compute allocations")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from allocations.awards import receivers  # noqa: F401  (follows team changes)
        from allocations.billing import apps_ready  # noqa: F401  (guards issued invoices)
        from allocations.core import checks  # noqa: F401  (registers the deploy checks)
