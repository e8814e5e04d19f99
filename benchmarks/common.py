"""Helpers shared by the benchmarks: timing pages and printing results."""

import statistics
import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


def bench(name: str, value, unit: str) -> None:
    print(f"BENCH {name} {value} {unit}", flush=True)


def time_page(client: Client, url: str, *, repeat: int = 25, warmup: int = 3) -> tuple[float, int]:
    """Median wall time in ms and the query count of one GET of `url`.

    Statistics are refreshed first (as autovacuum would in production), so the planner does
    not judge freshly bulk-loaded tables as empty.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
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
