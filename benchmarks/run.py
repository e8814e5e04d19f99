#!/usr/bin/env python
"""Runs every benchmark and prints `BENCH <name> <value> <unit>` lines.

Uses the database in DATABASE_URL (the Makefile points it at a PostgreSQL database
`portal_bench`), dropped and created afresh before every benchmark module, so each one
measures its own data on a matching schema.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import fresh_migrated_database, set_environment_defaults  # noqa: E402

set_environment_defaults()


def main() -> None:
    import django

    django.setup()

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
        fresh_migrated_database()
        module.run()


if __name__ == "__main__":
    main()
