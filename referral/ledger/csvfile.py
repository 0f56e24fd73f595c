"""Reading partner CSV files: header names, line numbers, money without floats."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

from referral.ledger.errors import InvalidFile

_MONEY = re.compile(r"^(\d{1,12})(?:[.,](\d{1,2}))?$")


def parse_money(text: str) -> int:
    """ "1234.5" or "1234,50" roubles -> 123450 kopecks; ValueError otherwise."""
    match = _MONEY.match(text.strip().replace(" ", ""))
    if not match:
        raise ValueError(f"{text!r} is not an amount like 1234.50")
    return int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))


def parse_time(text: str) -> datetime:
    """ISO 8601, returned in UTC; a time without an offset is taken as UTC.

    In UTC because SQLite keeps a datetime's wall time and drops its offset:
    14:30+03:00 stored as given would read back as 14:30 UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a time like 2026-11-25T14:30:00+03:00") from None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_rows(data: bytes | str, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) pairs; header names are case- and space-insensitive."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None:
        raise InvalidFile([(1, "the file is empty")])
    reader.fieldnames = [name.strip().lower() for name in reader.fieldnames]
    missing = [name for name in required if name not in reader.fieldnames]
    if missing:
        raise InvalidFile([(1, f"missing column(s): {', '.join(missing)}")])
    rows = []
    for row in reader:
        if None in row:
            raise InvalidFile([(reader.line_num, "more fields than the header has")])
        rows.append((reader.line_num, {k: (v or "").strip() for k, v in row.items()}))
    return rows
