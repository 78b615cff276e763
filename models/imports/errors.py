"""What an import reports: every problem in a file, located by line and column."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..csv_formats import COLUMNS, CsvKind

# Cells that must never be echoed back whole: an error report can end up in a log.
SENSITIVE_COLUMNS = frozenset({"first_name", "last_name", "a_number"})


@dataclass(frozen=True)
class RowError:
    """One problem in an import file, precise enough for a person to find and fix it.

    `line` is the row number a spreadsheet shows (header = 1, first data row = 2; 0 = the whole
    file); `column` is "" for whole-file or whole-row problems; `value` is the cell as written
    (for a list, the item at fault), with the letters and digits of names and A-numbers masked.
    """

    line: int
    column: str
    value: str
    message: str

    def describe(self, filename: str) -> str:
        """`FILE:LINE: column COL: value 'V': message`, leaving out the parts that do not apply."""
        parts = [f"{filename}:{self.line}" if self.line else filename]
        if self.column:
            parts.append(f"column {self.column}")
            if self.line >= 2:
                parts.append(f"value '{self.value}'")
        parts.append(self.message)
        return ": ".join(parts)


class ImportFailed(Exception):
    """The file was not imported; `errors` lists every problem found, in file order."""

    def __init__(self, filename: str, errors: Sequence[RowError]) -> None:
        self.filename = filename
        self.errors = list(errors)
        super().__init__("\n".join(error.describe(filename) for error in self.errors))


def masked(cell: str) -> str:
    """A cell's shape without its letters and digits, for names and A-numbers."""
    return re.sub(r"\w", "*", cell)


def in_file_order(errors: list[RowError], kind: CsvKind) -> list[RowError]:
    order = {name: i for i, name in enumerate(COLUMNS[kind])}
    return sorted(errors, key=lambda e: (e.line, order.get(e.column, -1)))
