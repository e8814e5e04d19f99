"""Load the example import tax rates and preference regimes (idempotent; never overwrites
what the import desk has edited). `make run` loads them with the demo."""

from django.core.management.base import BaseCommand

from allocations.customs.reference_data import load_reference_data


class Command(BaseCommand):
    help = "Load example import tax rates and preference regimes for the import desk."

    def handle(self, *args, **options):
        created = load_reference_data()
        self.stdout.write(", ".join(f"{name}: {count} new" for name, count in created.items()))
