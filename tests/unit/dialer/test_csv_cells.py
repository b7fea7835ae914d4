"""CSV cells a spreadsheet reads as text, never as a formula."""

from __future__ import annotations

import csv
import io

from dialer.csv_cells import safe_cell, to_csv


def test_cells_that_could_start_a_formula_are_quoted() -> None:
    for text in ("=1+1", "+12125550100", "-2", "@SUM(A1)", "\t=1", "\r=1"):
        assert safe_cell(text) == "'" + text
    for text in ("plain", "1+1", "a=b", "", "'already"):
        assert safe_cell(text) == text


def test_values_of_every_kind_become_text() -> None:
    assert safe_cell(None) == ""
    assert safe_cell(True) == "true"
    assert safe_cell(3) == "3" and safe_cell(-3) == "'-3"
    assert safe_cell(["a", None, "=b"]) == "a; ; =b"
    assert safe_cell(["=a", "b"]) == "'=a; b"


def test_the_document_round_trips_through_a_csv_reader() -> None:
    text = to_csv(["name", "=note"], [["Plain, \"Name\"", "line\nbreak"], ["=cmd|' /C calc'!A0", None]])
    assert text.endswith("\r\n")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["name", "'=note"], ['Plain, "Name"', "line\nbreak"], ["'=cmd|' /C calc'!A0", ""]]
