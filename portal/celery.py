"""The Celery application: broker and routes from settings, periodic jobs declared here."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(
    [
        "allocations.core",
        "allocations.accounts",
        "allocations.applications",
        "allocations.calls",
        "allocations.reviews",
        "allocations.awards",
        "allocations.scheduler",
        "allocations.usage",
        "allocations.billing",
        "allocations.customs",
    ]
)

# Queues by kind of work, so a slow PDF run never delays an e-mail or a scheduler push.
app.conf.task_routes = {
    # Named tasks first: activation and expiry must not wait behind a batch of PDFs.
    "allocations.awards.tasks.allocation_provisioned": {"queue": "default"},
    "allocations.awards.tasks.expire_allocations": {"queue": "default"},
    "allocations.billing.tasks.run_invoicing": {"queue": "default"},
    "allocations.customs.tasks.generate_case_documents": {"queue": "documents"},
    "allocations.core.tasks.*": {"queue": "mail"},
    "allocations.accounts.tasks.*": {"queue": "default"},
    "allocations.applications.tasks.*": {"queue": "mail"},
    "allocations.reviews.tasks.*": {"queue": "default"},
    "allocations.awards.tasks.*": {"queue": "documents"},
    "allocations.scheduler.tasks.*": {"queue": "scheduler"},
    "allocations.usage.tasks.*": {"queue": "default"},
    "allocations.billing.tasks.*": {"queue": "documents"},
    "allocations.customs.tasks.*": {"queue": "default"},
}
app.conf.task_default_queue = "default"

app.conf.beat_schedule = {
    # Changes left waiting by an outage, a lost message or a crashed worker are sent again.
    "scheduler-send-due": {
        "task": "allocations.scheduler.tasks.send_due_accounts",
        "schedule": 60.0,
    },
    # Compare the cluster with the desired state; repair and report drift.
    "scheduler-reconcile": {
        "task": "allocations.scheduler.tasks.reconcile_clusters",
        "schedule": crontab(minute=25),
    },
    # Usage from slurmdbd's job records (incremental, overlapping windows).
    "usage-ingest": {
        "task": "allocations.usage.tasks.ingest_usage",
        "schedule": crontab(minute="*/10"),
    },
    "customs-report-reminders": {
        "task": "allocations.customs.tasks.send_report_reminders",
        "schedule": crontab(hour=7, minute=20),
    },
    "expire-allocations": {
        "task": "allocations.awards.tasks.expire_allocations",
        "schedule": crontab(minute=45),
    },
    "expire-invitations": {
        "task": "allocations.accounts.tasks.expire_invitations",
        "schedule": crontab(minute=15),
    },
    "review-reminders": {
        "task": "allocations.reviews.tasks.send_review_reminders",
        "schedule": crontab(minute=5),
    },
    "close-expired-replies": {
        "task": "allocations.reviews.tasks.close_expired_replies",
        "schedule": crontab(minute=35),
    },
    "close-ended-calls": {
        "task": "allocations.calls.tasks.report_closing_calls",
        "schedule": crontab(hour=6, minute=0),
    },
}
