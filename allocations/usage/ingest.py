"""Writing job records: JobRecord, their JobDay parts and the UsageDaily roll-up.

Idempotent: a job is unique per (cluster, job id) and is written only when something
about it differs from its stored record, so reading a window again changes nothing. A
changed job's day parts are replaced whole, and UsageDaily is rebuilt only for the
(cluster, account, username, day) keys whose parts changed, before and after.

Two ways to write, with the same result:
- PostgreSQL (production, the benchmark): each batch of 50,000 jobs is COPYed into
  temporary staging tables and compared with the stored records in one statement; new
  jobs are inserted, changed ones updated and their day parts replaced, all set-based.
  The keys collected over all batches are rolled up once at the end with GROUP BY. The
  next batch is parsed and encoded in a thread meanwhile. An advisory lock per cluster
  makes concurrent runs take turns.
- Any other database (SQLite on the embedded defaults): the plain ORM, row by row.
Both run inside the caller's transaction: a failure anywhere leaves nothing behind.

Most of the PostgreSQL time is the tables' own cost: three indexes on JobRecord, two on
JobDay and four on UsageDaily (see models.py for why no more).
"""

import itertools
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from queue import Full, Queue

from django.db import connection, transaction
from django.db.models import Count, Max, Sum

from allocations.usage.models import JobDay, JobRecord, UsageDaily

BATCH_SIZE = 50_000
# The JobRecord fields a staged row carries, in order, after job_id.
FIELDS = (
    "account",
    "username",
    "partition",
    "state",
    "start_time",
    "end_time",
    "elapsed_seconds",
    "gpus",
    "gpu_seconds",
    "running",
    "allocation_id",
    "user_id",
)


@dataclass
class Written:
    changed: int = 0
    allocation_ids: set[int] = field(default_factory=set)


# Per batch: (job_id, *FIELDS) per job, (job_id, day, GPU-seconds) per day part.
Batch = tuple[list[tuple], list[tuple[int, date, int]]]


def write(batches: Iterable[Batch], *, cluster: str, now: datetime) -> Written:
    """Store the batches (inside the caller's transaction)."""
    if connection.vendor == "postgresql":
        return _write_postgres(batches, cluster=cluster, now=now)
    return _write_orm(batches, cluster=cluster, now=now)


# --- PostgreSQL: COPY into staging tables, then set-based SQL --------------------------

_STAGING = """
DROP TABLE IF EXISTS pg_temp.usage_stage_job, pg_temp.usage_stage_day, pg_temp.usage_diff,
    pg_temp.usage_keys, pg_temp.usage_allocations, pg_temp.usage_touched,
    pg_temp.usage_sums;
CREATE TEMP TABLE usage_stage_job (
    job_id bigint, account text, username text, partition text, state text,
    start_epoch double precision, end_epoch double precision, elapsed_seconds bigint,
    gpus integer, gpu_seconds bigint, running boolean, allocation_id bigint, user_id bigint
) ON COMMIT DROP;
CREATE TEMP TABLE usage_stage_day (job_id bigint, day date, gpu_seconds bigint) ON COMMIT DROP;
CREATE TEMP TABLE usage_diff (job_id bigint, record_id bigint, existed boolean) ON COMMIT DROP;
CREATE TEMP TABLE usage_keys (account text, username text, day date) ON COMMIT DROP;
CREATE TEMP TABLE usage_allocations (allocation_id bigint) ON COMMIT DROP;
"""
# FIELDS as read from the staging table (times are staged as epochs).
_STAGED = tuple(
    f"to_timestamp(s.{name.replace('_time', '_epoch')})" if name.endswith("_time") else f"s.{name}"
    for name in FIELDS
)


def _sql(template: str) -> str:
    return template.format(
        job=JobRecord._meta.db_table,
        day=JobDay._meta.db_table,
        daily=UsageDaily._meta.db_table,
        columns=", ".join(FIELDS),
        staged=", ".join(_STAGED),
        staged_as=", ".join(f"{e} AS {name}" for e, name in zip(_STAGED, FIELDS, strict=True)),
        stored=", ".join(f"r.{name}" for name in FIELDS),
        assign=", ".join(f"{name} = v.{name}" for name in FIELDS),
    )


# The staged jobs that are new or differ in anything from their record. A new job gets
# its record's id here, so its day parts can be inserted without reading it back. Rows
# are written in key order throughout: appending to an index is much cheaper than
# inserting all over it.
_DIFF = """
INSERT INTO usage_diff (job_id, record_id, existed)
SELECT job_id, coalesce(id, nextval(%(sequence)s::regclass)), id IS NOT NULL FROM (
    SELECT s.job_id, r.id
    FROM usage_stage_job s LEFT JOIN {job} r ON r.cluster = %(cluster)s
        AND r.job_id = s.job_id AND r.job_id BETWEEN %(low)s AND %(high)s
    WHERE r.id IS NULL OR ({stored}) IS DISTINCT FROM ({staged})
    ORDER BY s.job_id
) changed
"""
# A changed job: what it counted before is rebuilt too, then it is updated in place.
_CHANGE = """
INSERT INTO usage_keys (account, username, day)
SELECT DISTINCT r.account, r.username, d.day
FROM usage_diff c JOIN {job} r ON r.id = c.record_id JOIN {day} d ON d.job_id = r.id
WHERE c.existed;
INSERT INTO usage_allocations (allocation_id)
SELECT DISTINCT r.allocation_id FROM usage_diff c JOIN {job} r ON r.id = c.record_id
WHERE c.existed AND r.allocation_id IS NOT NULL;
DELETE FROM {day} d USING usage_diff c WHERE c.existed AND d.job_id = c.record_id;
UPDATE {job} r SET {assign}, ingested_at = %(now)s
FROM (SELECT c.record_id, {staged_as}
      FROM usage_stage_job s JOIN usage_diff c ON c.job_id = s.job_id
      WHERE c.existed) v
WHERE r.id = v.record_id;
"""
# New jobs: plain INSERT (the advisory lock keeps other ingestions of the cluster out).
_INSERT = """
INSERT INTO {job} (id, cluster, job_id, {columns}, ingested_at)
SELECT c.record_id, %(cluster)s, s.job_id, {staged}, %(now)s
FROM usage_stage_job s JOIN usage_diff c ON c.job_id = s.job_id
WHERE NOT c.existed
ORDER BY c.record_id
"""
_DAYS = """
INSERT INTO {day} (job_id, day, gpu_seconds)
SELECT c.record_id, d.day, d.gpu_seconds
FROM usage_stage_day d JOIN usage_diff c ON c.job_id = d.job_id
ORDER BY c.record_id, d.day;
INSERT INTO usage_keys (account, username, day)
SELECT DISTINCT s.account, s.username, d.day
FROM usage_stage_day d JOIN usage_diff c ON c.job_id = d.job_id
JOIN usage_stage_job s ON s.job_id = d.job_id;
INSERT INTO usage_allocations (allocation_id)
SELECT DISTINCT s.allocation_id FROM usage_stage_job s JOIN usage_diff c ON c.job_id = s.job_id
WHERE s.allocation_id IS NOT NULL;
"""
# Sum the day parts of every touched key over all of the key's jobs (not only this run's):
# aggregate the jobs of the touched people, then keep the touched days.
_ROLL_UP = """
CREATE TEMP TABLE usage_touched ON COMMIT DROP AS
    SELECT DISTINCT account, username, day FROM usage_keys;
ANALYZE usage_touched;
CREATE TEMP TABLE usage_sums ON COMMIT DROP AS
SELECT a.* FROM (
    SELECT r.account, r.username, d.day, sum(d.gpu_seconds)::bigint AS gpu_seconds,
        count(*)::integer AS jobs, max(r.allocation_id) AS allocation_id,
        max(r.user_id) AS user_id
    FROM {job} r JOIN {day} d ON d.job_id = r.id
    WHERE r.cluster = %(cluster)s
        AND (r.account, r.username) IN (SELECT account, username FROM usage_touched)
    GROUP BY r.account, r.username, d.day
) a JOIN usage_touched t ON t.account = a.account AND t.username = a.username
    AND t.day = a.day;
DELETE FROM {daily} u USING usage_touched t
WHERE u.cluster = %(cluster)s AND u.account = t.account AND u.username = t.username
    AND u.day = t.day AND NOT EXISTS (
        SELECT 1 FROM usage_sums s
        WHERE s.account = t.account AND s.username = t.username AND s.day = t.day
    );
UPDATE {daily} u SET gpu_seconds = s.gpu_seconds, jobs = s.jobs,
    allocation_id = s.allocation_id, user_id = s.user_id
FROM usage_sums s
WHERE u.cluster = %(cluster)s AND u.account = s.account AND u.username = s.username
    AND u.day = s.day AND (u.gpu_seconds, u.jobs, u.allocation_id, u.user_id)
        IS DISTINCT FROM (s.gpu_seconds, s.jobs, s.allocation_id, s.user_id);
INSERT INTO {daily} (cluster, account, username, day, gpu_seconds, jobs, allocation_id, user_id)
SELECT %(cluster)s, s.account, s.username, s.day, s.gpu_seconds, s.jobs, s.allocation_id,
    s.user_id
FROM usage_sums s
WHERE NOT EXISTS (
    SELECT 1 FROM {daily} u WHERE u.cluster = %(cluster)s AND u.account = s.account
        AND u.username = s.username AND u.day = s.day
)
ORDER BY s.account, s.username, s.day;
"""


def _write_postgres(batches: Iterable[Batch], *, cluster: str, now: datetime) -> Written:
    written = Written()
    params = {"cluster": cluster, "now": now}
    # The staging tables live until the transaction ends (a savepoint if one is open).
    with transaction.atomic(), connection.cursor() as cursor:
        # One ingestion per cluster at a time (beat and an operator's command may meet).
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"usage:{cluster}"])
        # Bulk statements over fresh tables: the planner's estimates are poor, and JIT
        # compiling them costs more than it saves; hashes and sorts fit in memory.
        cursor.execute("SET LOCAL jit = off; SET LOCAL work_mem = '64MB'")
        cursor.execute(_STAGING)
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [JobRecord._meta.db_table])
        params["sequence"] = cursor.fetchone()[0]
        # Parsing and encoding the next batch overlaps PostgreSQL's work on this one.
        for job_text, day_text, low, high in _in_background(_encoded(batches)):
            # The batch's range of job ids lets the comparison use the unique index.
            params.update(low=low, high=high)
            cursor.execute("TRUNCATE usage_stage_job, usage_stage_day, usage_diff")
            with cursor.copy("COPY usage_stage_job FROM STDIN") as copy:
                copy.write(job_text)
            with cursor.copy("COPY usage_stage_day FROM STDIN") as copy:
                copy.write(day_text)
            cursor.execute(_sql(_DIFF), params)
            cursor.execute("SELECT count(*), count(*) FILTER (WHERE existed) FROM usage_diff")
            changed, existing = cursor.fetchone()
            if existing:
                cursor.execute(_sql(_CHANGE), params)
            if changed > existing:
                cursor.execute(_sql(_INSERT), params)
            if changed:
                cursor.execute(_sql(_DAYS), params)
            written.changed += changed
        if written.changed >= BATCH_SIZE:
            # Fresh statistics, or the roll-up is planned for the tables' old (empty) size.
            cursor.execute(f"ANALYZE {JobRecord._meta.db_table}, {JobDay._meta.db_table}")
        if written.changed:
            cursor.execute(_sql(_ROLL_UP), params)
            cursor.execute("SELECT DISTINCT allocation_id FROM usage_allocations")
            written.allocation_ids = {row[0] for row in cursor.fetchall()}
    return written


def _encoded(batches: Iterable[Batch]) -> Iterator[tuple[bytes, bytes, int, int]]:
    """Each batch as the text of two COPYs (tab-separated, \\N for null), and the range
    of its job ids."""
    text, days = _CopyText(), {}
    for jobs, parts in batches:
        if not jobs:
            continue
        lines = [
            f"{job_id}\t{text(account)}\t{text(username)}\t{text(partition)}\t{text(state)}\t"
            f"{start.timestamp()}\t{NULL if end is None else end.timestamp()}\t{elapsed}\t"
            f"{gpus}\t{gpu_seconds}\t{'t' if running else 'f'}\t"
            f"{NULL if allocation_id is None else allocation_id}\t"
            f"{NULL if user_id is None else user_id}\n"
            for (
                job_id, account, username, partition, state, start, end, elapsed, gpus,
                gpu_seconds, running, allocation_id, user_id,
            ) in jobs
        ]  # fmt: skip
        day_lines = [
            f"{job_id}\t{days.get(day) or days.setdefault(day, day.isoformat())}\t{part}\n"
            for job_id, day, part in parts
        ]
        ids = [row[0] for row in jobs]
        yield "".join(lines).encode(), "".join(day_lines).encode(), min(ids), max(ids)


NULL = "\\N"


class _CopyText(dict):
    """COPY's text escaping of a string, remembered (accounts and users repeat)."""

    def __call__(self, value: str) -> str:
        found = self.get(value)
        if found is None:
            found = self[value] = (
                value.replace("\\", "\\\\")
                .replace("\t", "\\t")
                .replace("\n", "\\n")
                .replace("\r", "\\r")
            )
        return found


def _in_background(items: Iterator, depth: int = 1) -> Iterator:
    """Iterate `items` in a thread, up to `depth` ahead. psycopg waits for PostgreSQL
    without the GIL, so parsing overlaps the database's work. The thread never uses the
    database; its exception is raised here."""
    queue: Queue = Queue(maxsize=depth)
    stop = threading.Event()

    def produce():
        try:
            for item in items:
                if not _put(queue, (True, item), stop):
                    return
            _put(queue, (True, _DONE), stop)
        except BaseException as error:  # handed to the consumer, raised there
            _put(queue, (False, error), stop)

    thread = threading.Thread(target=produce, name="usage-ingest-reader", daemon=True)
    thread.start()
    try:
        while True:
            ok, item = queue.get()
            if not ok:
                raise item
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        thread.join()


_DONE = object()


def _put(queue: Queue, item, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            queue.put(item, timeout=0.1)
            return True
        except Full:
            continue
    return False


# --- the plain ORM (SQLite, the embedded defaults) -----------------------------------


def _write_orm(batches: Iterable[Batch], *, cluster: str, now: datetime) -> Written:
    written, keys = Written(), set()
    for jobs, days in batches:
        parts = defaultdict(list)
        for job_id, day, part in days:
            parts[job_id].append((day, part))
        stored = {}
        for chunk in itertools.batched([row[0] for row in jobs], 500):
            for record in JobRecord.objects.filter(cluster=cluster, job_id__in=chunk):
                stored[record.job_id] = record
        for row in jobs:
            values = dict(zip(FIELDS, row[1:], strict=True))
            record = stored.get(row[0])
            if record is not None:
                if all(getattr(record, name) == value for name, value in values.items()):
                    continue  # unchanged: not touched at all
                old = record.days.values_list("day", flat=True)
                keys.update((record.account, record.username, day) for day in old)
                written.allocation_ids.add(record.allocation_id)
                record.days.all().delete()
                for name, value in values.items():
                    setattr(record, name, value)
                record.ingested_at = now
                record.save()
            else:
                record = JobRecord.objects.create(
                    cluster=cluster, job_id=row[0], ingested_at=now, **values
                )
            written.changed += 1
            written.allocation_ids.add(record.allocation_id)
            JobDay.objects.bulk_create(
                JobDay(job=record, day=day, gpu_seconds=part) for day, part in parts[row[0]]
            )
            keys.update((record.account, record.username, day) for day, _ in parts[row[0]])
    _roll_up_orm(cluster, keys)
    written.allocation_ids.discard(None)
    return written


def _roll_up_orm(cluster: str, keys: set[tuple[str, str, date]]) -> None:
    by_person = defaultdict(set)
    for account, username, day in keys:
        by_person[(account, username)].add(day)
    for (account, username), days in by_person.items():
        sums = {
            row["day"]: row
            for row in JobDay.objects.filter(
                job__cluster=cluster, job__account=account, job__username=username, day__in=days
            )
            .values("day")
            .annotate(
                total=Sum("gpu_seconds"),
                jobs=Count("id"),
                allocation=Max("job__allocation_id"),
                user=Max("job__user_id"),
            )
            .order_by()
        }
        key = {"cluster": cluster, "account": account, "username": username}
        UsageDaily.objects.filter(**key, day__in=days - set(sums)).delete()
        for day, row in sums.items():
            UsageDaily.objects.update_or_create(
                **key,
                day=day,
                defaults={
                    "gpu_seconds": row["total"],
                    "jobs": row["jobs"],
                    "allocation_id": row["allocation"],
                    "user_id": row["user"],
                },
            )
