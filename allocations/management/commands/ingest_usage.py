"""Operators: read usage from the scheduler now, e.g. after an outage or to backfill."""

from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from allocations.usage import services
from allocations.usage.models import IngestStatus


class Command(BaseCommand):
    help = (
        "Read job records from the scheduler (slurmdbd, or the demo source on the embedded "
        "defaults) and store them. Safe to repeat: records already stored as read are not "
        "touched."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--cluster",
            action="append",
            help="Slurm cluster (repeatable; default: every cluster with allocations)",
        )
        parser.add_argument(
            "--since",
            help="read from this time (ISO 8601, local time unless it has an offset) "
            "instead of the end of the last successful window minus the overlap",
        )

    def handle(self, *args, cluster=None, since=None, **options):
        start = _parse_since(since) if since else None
        failed = False
        for name in cluster or services.clusters_in_use():
            run = services.ingest_cluster(cluster=name, now=timezone.now(), since=start)
            window = f"{run.window_start:%Y-%m-%d %H:%M} – {run.window_end:%Y-%m-%d %H:%M} UTC"
            self.stdout.write(f"{name} ({run.source}) {window}: {run.status}")
            if run.status != IngestStatus.DONE:
                failed = True
                self.stderr.write(f"  error: {run.error}")
                continue
            self.stdout.write(f"  records read: {run.records}, new or changed: {run.changed}")
            for account, seconds in run.unknown_accounts.items():
                self.stdout.write(f"  unknown account {account}: {seconds / 3600:.1f} GPU-hours")
        if failed:
            raise CommandError("ingestion failed; see the errors above")


def _parse_since(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--since: not an ISO 8601 time: {value!r}") from error
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    return moment
