"""Helpers shared by the benchmarks: a fresh database, running one benchmark alone,
refreshing statistics, a signed-in call manager, timing pages and printing results.

Nothing here imports models at module level: a benchmark run alone imports this module
before Django is set up.
"""

import os
import statistics
import time

# Benchmarks measure the portal as deployed: tasks eager (no broker needed), mail kept quiet.
ENVIRONMENT_DEFAULTS = {
    "DJANGO_SETTINGS_MODULE": "portal.settings",
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
}
# The shared TOTP secret of the staff a benchmark signs in (staff must use two factors).
STAFF_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def bench(name: str, value, unit: str) -> None:
    print(f"BENCH {name} {value} {unit}", flush=True)


def set_environment_defaults() -> None:
    for name, value in ENVIRONMENT_DEFAULTS.items():
        os.environ.setdefault(name, value)


def fresh_database() -> None:
    """Drop and create the database in DATABASE_URL (PostgreSQL; others are left alone)."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("postgresql"):
        import psycopg

        admin = psycopg.connect(
            host=db.get("HOST") or "127.0.0.1",
            port=db.get("PORT") or 5432,
            user=db.get("USER") or "postgres",
            password=db.get("PASSWORD") or None,
            dbname="postgres",
            autocommit=True,
        )
        admin.execute(f'DROP DATABASE IF EXISTS "{db["NAME"]}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{db["NAME"]}"')
        admin.close()


def fresh_migrated_database() -> None:
    from django.core.management import call_command
    from django.db import connection

    connection.close()
    fresh_database()
    call_command("migrate", verbosity=0, interactive=False)


def run_standalone(run) -> None:
    """One benchmark's `run` on a fresh database, as benchmarks/run.py runs each of them."""
    set_environment_defaults()
    import django

    django.setup()
    fresh_migrated_database()
    run()


def analyze() -> None:
    """Refresh the planner's statistics (as autovacuum would in production), so it does not
    judge freshly bulk-loaded tables as empty."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def call_manager_client(email: str):
    """A test client signed in as a new call manager enrolled in TOTP."""
    from allauth.mfa.totp.internal.auth import TOTP
    from django.test import Client

    from allocations.accounts.models import Role, RoleGrant, User

    manager = User.objects.create_user(email, "x")
    RoleGrant.objects.create(user=manager, role=Role.CALL_MANAGER)
    TOTP.activate(manager, STAFF_TOTP_SECRET)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(manager)
    return client


def time_page(client, url: str, *, repeat: int = 25, warmup: int = 3) -> tuple[float, int]:
    """Median wall time in ms and the query count of one GET of `url`, statistics refreshed
    first."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    analyze()
    for _ in range(warmup):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(samples), len(queries)
