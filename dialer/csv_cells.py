"""CSV that a spreadsheet opens as data, never as formulas (OWASP "CSV injection"). Pure; no I/O.

A cell that starts with = + - @ (or a tab or carriage return, which some spreadsheets skip before reading one of
those) is prefixed with a single quote, which spreadsheets show as text and do not evaluate. E.164 numbers start
with + and so come out as '+12125550100: the price of opening an export safely.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The cell's text, quoted against formula evaluation when it could start one."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        value = "; ".join("" if v is None else str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """RFC 4180 CSV (CRLF line ends, quotes where needed), every cell made safe, header included."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
