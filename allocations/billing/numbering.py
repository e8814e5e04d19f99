"""Gapless document numbers: `<SERIES>-<year>-<000001>`, restarting every year.

The last number of each series and year is a NumberSequence row, locked with
SELECT ... FOR UPDATE to take the next ones. The lock and the increment live in the
caller's transaction: if it rolls back, so does the number, so no number is ever skipped;
while it runs, other issuers of the same series and year wait, so none is repeated.
"""

from django.db import IntegrityError, transaction

from allocations.billing.models import NumberSequence

INVOICE_SERIES = "INV"
CREDIT_NOTE_SERIES = "CN"


def format_number(series: str, year: int, value: int) -> str:
    return f"{series}-{year}-{value:06d}"


def _locked_sequence(series: str, year: int) -> NumberSequence:
    sequence = NumberSequence.objects.select_for_update().filter(series=series, year=year).first()
    if sequence is not None:
        return sequence
    try:
        with transaction.atomic():  # a savepoint: losing the race must not break the caller
            NumberSequence.objects.create(series=series, year=year, last=0)
    except IntegrityError:
        pass  # another transaction created it first; wait for its lock below
    return NumberSequence.objects.select_for_update().get(series=series, year=year)


def take_numbers(*, series: str, year: int, count: int = 1) -> list[str]:
    """The next `count` numbers of the series for `year`. Call inside the transaction that
    stores the documents they number."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("take_numbers() must run inside the issuing transaction")
    sequence = _locked_sequence(series, year)
    first = sequence.last + 1
    sequence.last += count
    sequence.save(update_fields=["last"])
    return [format_number(series, year, value) for value in range(first, first + count)]


def take_number(*, series: str, year: int) -> str:
    return take_numbers(series=series, year=year, count=1)[0]
