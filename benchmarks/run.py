#!/usr/bin/env python
"""Runs every benchmark and prints `BENCH <name> <value> <unit>` lines.

Uses the database in DATABASE_URL (the Makefile points it at a PostgreSQL database
`portal_bench`), dropped and created afresh before every benchmark module, so each one
measures its own data on a matching schema.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
# Benchmarks measure the portal as deployed: tasks eager (no broker needed), mail kept quiet.
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")


def _fresh_database() -> None:
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


def main() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from benchmarks import (
        bench_applications_list,
        bench_billing,
        bench_customs_annex,
        bench_customs_validate,
        bench_documents,
        bench_panel,
        bench_scheduler,
        bench_usage,
    )

    for module in (
        bench_applications_list,
        bench_panel,
        bench_scheduler,
        bench_usage,
        bench_billing,
        bench_documents,
        bench_customs_validate,
        bench_customs_annex,
    ):
        # Each benchmark seeds its own world: it gets a database of its own, fresh.
        connection.close()
        _fresh_database()
        call_command("migrate", verbosity=0, interactive=False)
        module.run()


if __name__ == "__main__":
    main()
