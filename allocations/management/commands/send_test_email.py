from django.core.management.base import BaseCommand
from django.db import transaction

from allocations.core.notifications import notify


class Command(BaseCommand):
    help = "Queue a delivery-check e-mail through Celery (checks broker, worker and SMTP)."

    def add_arguments(self, parser):
        parser.add_argument("address")
        parser.add_argument("--language", default="en")

    def handle(self, *args, **options):
        with transaction.atomic():
            notify(
                to=[options["address"]],
                template="worker_probe",
                context={"name": options["address"]},
                language=options["language"],
            )
        self.stdout.write(f"Queued a delivery check to {options['address']}")
