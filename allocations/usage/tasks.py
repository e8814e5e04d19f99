"""Thin Celery tasks of usage ingestion (queue "default"). Safe to run twice."""

from celery import shared_task
from django.utils import timezone

from allocations.usage import services


@shared_task
def ingest_usage() -> list[int]:
    """Beat: read every cluster in use incrementally; return the IngestRun ids.

    A run that fails is stored with its error; the next one reads its window again.
    """
    return [run.pk for run in services.ingest_all(now=timezone.now())]
