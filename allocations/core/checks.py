"""Deploy checks: `manage.py check --deploy` warns when a development default is still on."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

_DEV_MAIL = {
    "allocations.core.mail.ConsoleAndMailboxBackend",
    "allocations.core.mail.MailboxOnlyBackend",
}


@register(Tags.security, deploy=True)
def production_defaults(app_configs, **kwargs):
    warnings = []
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        warnings.append(
            Warning(
                "DATABASE_URL is not set: the portal runs on SQLite.",
                hint="Set DATABASE_URL=postgresql://...",
                id="portal.W001",
            )
        )
    if settings.CELERY_TASK_ALWAYS_EAGER:
        warnings.append(
            Warning(
                "Celery tasks run inside web requests (no broker configured).",
                hint="Set CELERY_BROKER_URL=redis://...",
                id="portal.W002",
            )
        )
    if settings.MAILERS["default"]["BACKEND"] in _DEV_MAIL:
        warnings.append(
            Warning(
                "E-mail goes to the console and the development mailbox.",
                hint="Set EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend "
                "and EMAIL_HOST...",
                id="portal.W003",
            )
        )
    if settings.SCHEDULER_BACKEND == "dry-run":
        warnings.append(
            Warning(
                "Approved allocations are not sent to Slurm (the dry-run scheduler backend).",
                hint="Set SCHEDULER_BACKEND=slurm-rest, SLURM_REST_URL, SLURM_REST_USER and "
                "SLURM_REST_TOKEN_FILE (README, 'The scheduler').",
                id="portal.W004",
            )
        )
    return warnings
