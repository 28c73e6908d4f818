"""Rows a database driver returns, made into what the Parquet reader reads (an Arrow table per chunk), and the digest
of their text that provenance records (readers/database.py reads them)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .text import bytes_text

if TYPE_CHECKING:
    import pyarrow as pa


def arrow_table(names: list[str], rows: Sequence[Sequence[object]]) -> pa.Table:
    """A chunk of driver rows as an Arrow table: each column as Arrow types its values (so each type's text is the
    Parquet reader's), or as text where they have no one Arrow type (a mixed column, a UUID, an int beyond 64 bits)."""
    import pyarrow as pa

    grid = np.array(rows, dtype=object) if rows else np.empty((0, len(names)), dtype=object)
    columns: list[Any]
    if grid.shape == (len(rows), len(names)):
        columns = [grid[:, position] for position in range(len(names))]  # faster than zip(*rows) at 50,000 rows
    else:  # a value that is itself a sequence (an array column) made numpy go deeper: column by column
        columns = [list(values) for values in zip(*rows, strict=True)]
    arrays = []
    for values in columns:
        try:  # text first: most columns are, and it is the fastest to take (a column of other values fails at once)
            arrays.append(pa.array(values, type=pa.string()))
            continue
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            pass
        if _as_text(values):
            arrays.append(pa.array([None if value is None else _text(value) for value in values], type=pa.string()))
            continue
        try:
            arrays.append(pa.array(values))
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            arrays.append(pa.array([None if value is None else _text(value) for value in values], type=pa.string()))
    return pa.table(arrays, names=names)


def _as_text(values: Sequence[object]) -> bool:
    """Whether a column takes the text path: a UUID (Arrow would make its 16 raw bytes the value) or a Decimal (Arrow
    gives the column one scale, so a stored `3` beside `1.5` would become `3.0`): each is written from its own value.
    A database column has one type, so its first value tells (a mix Arrow cannot type falls to the text path anyway)."""
    first = next((value for value in values if value is not None), None)
    return isinstance(first, uuid.UUID | Decimal)


def _text(value: object) -> str:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes_text(value)
    if isinstance(value, Decimal):  # its own digits, as the database stored them, never in exponent form
        return format(value, "f")
    return str(value)


class RowDigest:
    """SHA-256 over the rows' text, the same whatever the chunks the rows came in: for each column, one digest of its
    values' UTF-8 bytes end to end, one of their lengths (8 bytes each, little-endian) and one of which are missing
    (a byte each); then every column's name and three digests, in order, hashed together."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.columns = [(hashlib.sha256(), hashlib.sha256(), hashlib.sha256()) for _ in names]
        self.size = 0

    def update(self, frame: pd.DataFrame) -> None:
        import pyarrow as pa

        if not len(frame):
            return
        for name, (data, lengths, missing) in zip(self.names, self.columns, strict=True):
            values = frame[name].to_numpy(dtype=object)
            try:
                array = pa.array(values, type=pa.large_string(), from_pandas=True)
                offsets = np.frombuffer(array.buffers()[1], dtype=np.int64, count=len(array) + 1)
                text = array.buffers()[2]
                body = b"" if text is None else text.to_pybytes()[: int(offsets[-1])]
                sizes, absent = np.diff(offsets), array.is_null().to_numpy(zero_copy_only=False)
            except (pa.ArrowException, UnicodeError):  # a lone surrogate, which Arrow cannot hold: value by value
                encoded = [None if value is None or value is pd.NA else str(value).encode("utf-8", "surrogatepass") for value in values]
                body = b"".join(value or b"" for value in encoded)
                sizes = np.array([len(value or b"") for value in encoded], dtype=np.int64)
                absent = np.array([value is None for value in encoded], dtype=bool)
            data.update(body)
            lengths.update(sizes.astype("<i8").tobytes())
            missing.update(absent.astype(np.uint8).tobytes())
            self.size += len(body)

    def hexdigest(self) -> str:
        whole = hashlib.sha256()
        for name, digests in zip(self.names, self.columns, strict=True):
            whole.update(name.encode("utf-8") + b"\x1d" + b"".join(digest.digest() for digest in digests))
        return whole.hexdigest()
