"""Loading interactions from CSV files into one frame shape.

Every loader returns a :class:`LoadedDataset` whose ``frame`` has the columns
``user_id`` (str), ``item_id`` (str), ``timestamp`` (int64, Unix seconds, UTC)
and ``amount`` (float64, NaN when the file has none). Any malformed row raises
:class:`~recommender.errors.DataFormatError` with its line number and reason.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from recommender.errors import DataFormatError

COLUMNS = ["user_id", "item_id", "timestamp", "amount"]
FORMATS = ("generic", "movielens", "groceries", "lastfm")

_UNIX = re.compile(r"^[+-]?\d+(\.\d+)?$")
_DASHED = re.compile(r"^(\d{2})-(\d{2})-(\d{4})$")  # dd-mm-yyyy
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")  # d/m/yyyy


@dataclass
class LoadedDataset:
    """Interactions plus a human-readable account of how they were read."""

    frame: pd.DataFrame
    description: str
    counts: dict[str, int] = field(default_factory=dict)


def _rows(path: Path, n_fields: tuple[int, ...], header: list[str] | None):
    """Yield (line_number, fields) for every non-empty data row of a CSV file."""
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise DataFormatError(f"cannot open file: {exc.strerror}", path=str(path)) from exc
    with handle:
        reader = csv.reader(handle)
        first = True
        try:
            for fields in reader:
                line = reader.line_num
                if first and header is not None:
                    first = False
                    names = [f.strip() for f in fields]
                    if names[: len(header)] != header:
                        raise DataFormatError(
                            f"header must start with {','.join(header)}, got {','.join(names)}",
                            line,
                            str(path),
                        )
                    continue
                first = False
                if not fields or all(not f.strip() for f in fields):
                    continue
                if len(fields) not in n_fields:
                    want = " or ".join(str(n) for n in n_fields)
                    raise DataFormatError(
                        f"expected {want} fields, got {len(fields)}", line, str(path)
                    )
                yield line, [f.strip() for f in fields]
        except (csv.Error, UnicodeDecodeError) as exc:
            raise DataFormatError(f"unreadable CSV: {exc}", reader.line_num, str(path)) from exc


def parse_timestamp(value: str, line: int, path: str | None = None) -> int:
    """Unix seconds (integer or decimal) or an ISO 8601 date/time -> Unix seconds (UTC)."""
    if _UNIX.match(value):
        return int(float(value))
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        ts = None
    if ts is None or ts is pd.NaT:
        raise DataFormatError(
            f"timestamp {value!r} is neither Unix seconds nor ISO 8601", line, path
        )
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return int(ts.timestamp())


def _check_id(value: str, what: str, line: int, path: str) -> str:
    if not value:
        raise DataFormatError(f"empty {what}", line, path)
    return value


def _frame(users, items, stamps, amounts) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "user_id": pd.Series(users, dtype=object).astype(str),
            "item_id": pd.Series(items, dtype=object).astype(str),
            "timestamp": np.asarray(stamps, dtype=np.int64),
            "amount": np.asarray(amounts, dtype=np.float64),
        }
    )


def load_generic(path: str | Path) -> LoadedDataset:
    """CSV with header ``user_id,item_id,timestamp[,amount]``."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            head = fh.readline().strip().split(",")
    except OSError as exc:
        raise DataFormatError(f"cannot open file: {exc.strerror}", path=str(path)) from exc
    has_amount = len(head) >= 4 and head[3].strip() == "amount"
    header = ["user_id", "item_id", "timestamp"] + (["amount"] if has_amount else [])
    users, items, stamps, amounts = [], [], [], []
    sp = str(path)
    for line, f in _rows(path, (len(header),), header):
        users.append(_check_id(f[0], "user_id", line, sp))
        items.append(_check_id(f[1], "item_id", line, sp))
        stamps.append(parse_timestamp(f[2], line, sp))
        if has_amount and f[3]:
            try:
                amounts.append(float(f[3]))
            except ValueError:
                raise DataFormatError(f"amount {f[3]!r} is not a number", line, sp) from None
        else:
            amounts.append(np.nan)
    frame = _frame(users, items, stamps, amounts)
    return LoadedDataset(
        frame, f"generic CSV: {len(frame):,} interactions", {"interactions": len(frame)}
    )


def load_movielens(path: str | Path, min_rating: float | None = None) -> LoadedDataset:
    """MovieLens ``ratings.csv`` (userId,movieId,rating,timestamp).

    ``min_rating=None`` keeps every rating as a positive interaction; a number
    keeps only ratings at or above it. The description says which.
    """
    path, sp = Path(path), str(path)
    users, items, stamps, ratings = [], [], [], []
    for line, f in _rows(path, (4,), ["userId", "movieId", "rating", "timestamp"]):
        users.append(_check_id(f[0], "userId", line, sp))
        items.append(_check_id(f[1], "movieId", line, sp))
        try:
            ratings.append(float(f[2]))
        except ValueError:
            raise DataFormatError(f"rating {f[2]!r} is not a number", line, sp) from None
        if not _UNIX.match(f[3]):
            raise DataFormatError(f"timestamp {f[3]!r} is not Unix seconds", line, sp)
        stamps.append(int(float(f[3])))
    frame = _frame(users, items, stamps, np.full(len(users), np.nan))
    total = len(frame)
    if min_rating is not None:
        frame = frame[np.asarray(ratings) >= min_rating].reset_index(drop=True)
        rule = f"ratings >= {min_rating:g} are positives ({len(frame):,} of {total:,})"
    else:
        rule = f"all ratings are positives ({total:,})"
    return LoadedDataset(frame, f"movielens: {rule}", {"ratings": total, "positives": len(frame)})


def parse_grocery_date(value: str, line: int, path: str | None = None) -> tuple[int, str]:
    """``dd-mm-yyyy`` or ``d/m/yyyy``, both day first -> (Unix seconds, form)."""
    m = _DASHED.match(value)
    form = "dd-mm-yyyy"
    if m is None:
        m = _SLASHED.match(value)
        form = "d/m/yyyy"
    if m is None:
        raise DataFormatError(f"date {value!r} is neither dd-mm-yyyy nor d/m/yyyy", line, path)
    day, month, year = (int(g) for g in m.groups())
    try:
        ts = pd.Timestamp(year=year, month=month, day=day, tz="UTC")
    except ValueError:
        raise DataFormatError(f"date {value!r} is not a real day-first date", line, path) from None
    return int(ts.timestamp()), form


def load_groceries(path: str | Path) -> LoadedDataset:
    """Groceries basket file: no header, ``member,date,item`` with two day-first date forms."""
    path, sp = Path(path), str(path)
    users, items, stamps = [], [], []
    forms = {"dd-mm-yyyy": 0, "d/m/yyyy": 0}
    for line, f in _rows(path, (3,), None):
        users.append(_check_id(f[0], "member", line, sp))
        ts, form = parse_grocery_date(f[1], line, sp)
        forms[form] += 1
        stamps.append(ts)
        items.append(_check_id(f[2], "item", line, sp))
    frame = _frame(users, items, stamps, np.full(len(users), np.nan))
    desc = (
        f"groceries: {len(frame):,} rows; dates read as dd-mm-yyyy: {forms['dd-mm-yyyy']:,}, "
        f"as d/m/yyyy (day first): {forms['d/m/yyyy']:,}"
    )
    return LoadedDataset(frame, desc, dict(forms))


def load_lastfm(path: str | Path) -> LoadedDataset:
    """HetRec lastfm-2k ``user_artists.dat``: tab-separated user, artist, play count.

    The shared copy has no header (GroupLens's original starts with
    ``userID artistID weight``; both are accepted) and CRLF line endings. There
    are no times: every row gets timestamp 0, so only a random hold-out splits
    it. The play count goes to ``amount``; an interaction is a listened artist.
    """
    path, sp = Path(path), str(path)
    users, items, counts = [], [], []
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise DataFormatError(f"cannot open file: {exc.strerror}", path=sp) from exc
    with handle:
        try:
            for line, raw in enumerate(handle, start=1):
                fields = raw.rstrip("\r\n").split("\t")
                if line == 1 and fields[0].strip() == "userID":
                    continue
                if not raw.strip():
                    continue
                if len(fields) != 3:
                    raise DataFormatError(
                        f"expected 3 tab-separated fields, got {len(fields)}", line, sp
                    )
                user, item, weight = (f.strip() for f in fields)
                users.append(_check_id(user, "user_id", line, sp))
                items.append(_check_id(item, "artist_id", line, sp))
                if not _UNIX.match(weight) or float(weight) <= 0:
                    raise DataFormatError(f"weight {weight!r} is not a positive number", line, sp)
                counts.append(float(weight))
        except UnicodeDecodeError as exc:
            raise DataFormatError(f"not UTF-8: {exc.reason}", path=sp) from exc
    frame = _frame(users, items, np.zeros(len(users)), counts)
    desc = (
        f"lastfm: {len(frame):,} listened (member, artist) pairs, play counts kept as amount; "
        "no timestamps"
    )
    return LoadedDataset(frame, desc, {"interactions": len(frame)})


def load_profiles(path: str | Path) -> pd.DataFrame:
    """Members' side information: CSV with header ``user_id,income_band,region``."""
    sp = str(path)
    rows = [
        (_check_id(f[0], "user_id", line, sp), f[1], f[2])
        for line, f in _rows(Path(path), (3,), ["user_id", "income_band", "region"])
    ]
    return pd.DataFrame(rows, columns=["user_id", "income_band", "region"])


def load_dataset(path: str | Path, fmt: str = "generic", **options) -> LoadedDataset:
    """Dispatch on ``fmt``: one of ``generic``, ``movielens``, ``groceries``, ``lastfm``."""
    if fmt == "generic":
        return load_generic(path)
    if fmt == "movielens":
        return load_movielens(path, **options)
    if fmt == "groceries":
        return load_groceries(path)
    if fmt == "lastfm":
        return load_lastfm(path)
    raise ValueError(f"unknown dataset format {fmt!r}; choose one of {', '.join(FORMATS)}")
