"""From cells to records: one row's cells read with every problem recorded, repeats across rows
refused, and the plan that validation hands to writing."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..csv_formats import LIST_SEPARATOR
from .cells import Invalid
from .errors import SENSITIVE_COLUMNS, RowError, masked
from .reading import Cells

T = TypeVar("T")

_MISSING: Any = object()


class Row:
    """Reads the cells of one row, recording every problem instead of stopping at the first."""

    __slots__ = ("line", "cells", "errors", "ok")

    def __init__(self, line: int, cells: dict[str, str], errors: list[RowError]) -> None:
        self.line = line
        self.cells = cells
        self.errors = errors
        self.ok = True

    def fail(self, column: str, message: str, value: str | None = None) -> None:
        shown = self.cells.get(column, "") if value is None else value
        if column in SENSITIVE_COLUMNS:
            shown = masked(shown)
        self.errors.append(RowError(self.line, column, shown, message))
        self.ok = False

    def required(self, column: str, parse: Callable[[str], T]) -> T:
        """The parsed cell; on a problem, records it and returns a placeholder (row.ok is False)."""
        value = self.cells[column]
        if not value:
            self.fail(column, "a value is required here")
            return _MISSING  # type: ignore[no-any-return]
        return self._parse(column, value, parse)

    def optional(self, column: str, parse: Callable[[str], T]) -> T | None:
        value = self.cells[column]
        if not value:
            return None
        return self._parse(column, value, parse)

    def _parse(self, column: str, value: str, parse: Callable[[str], T]) -> T:
        try:
            return parse(value)
        except Invalid as invalid:
            self.fail(column, invalid.message)
            return _MISSING  # type: ignore[no-any-return]

    def items(self, column: str) -> list[str]:
        """The `;`-separated items of a list cell (empty items, as from a trailing `;`, dropped)."""
        return [item.strip() for item in self.cells[column].split(LIST_SEPARATOR) if item.strip()]

    def each(self, column: str, parse: Callable[[str], T]) -> list[T]:
        """Every item of a list cell parsed; each bad item is its own error."""
        parsed = []
        for item in self.items(column):
            try:
                parsed.append(parse(item))
            except Invalid as invalid:
                self.fail(column, invalid.message, item)
        return parsed

    def pairs(
        self,
        column: str,
        parse_key: Callable[[str], Any],
        parse_level: Callable[[str], Any],
        *,
        example: str,
    ) -> dict[Any, Any]:
        """`key:level` items; a key listed twice is an error (which level would be meant?)."""
        result: dict[Any, Any] = {}
        for item in self.items(column):
            key_text, colon, level_text = item.rpartition(":")
            if not colon:
                self.fail(column, f"write each item as name:level, e.g. {example}", item)
                continue
            try:
                key = parse_key(key_text.strip())
                level = parse_level(level_text.strip())
            except Invalid as invalid:
                self.fail(column, invalid.message, item)
                continue
            if key in result:
                self.fail(column, "listed twice; keep one level for it", item)
                continue
            result[key] = level
        return result

    def both_or_neither(self, first: str, second: str) -> None:
        """Two cells that only make sense together (coordinates, leave dates)."""
        given = (bool(self.cells[first]), bool(self.cells[second]))
        if given == (True, False):
            self.fail(
                second, f"{first} is given, so {second} is required too (or leave both empty)"
            )
        elif given == (False, True):
            self.fail(first, f"{second} is given, so {first} is required too (or leave both empty)")


def duplicates(
    rows: Iterable[tuple[int, Any, str]], errors: list[RowError], column: str, message: str
) -> None:
    """One error per repeat of a key in (line, key, cell) rows; `message` is formatted with the
    line the key was first on. Empty keys are left to the required-value check."""
    first_line: dict[Any, int] = {}
    for line, key, cell in rows:
        if not key:
            continue
        if key in first_line:
            shown = masked(cell) if column in SENSITIVE_COLUMNS else cell
            errors.append(RowError(line, column, shown, message.format(first_line[key])))
        else:
            first_line[key] = line


def refuse_repeated_external_ids(cells: Cells, errors: list[RowError], noun: str) -> None:
    """One error per row whose external_id an earlier row of the file has already."""
    duplicates(
        ((line, row["external_id"], row["external_id"]) for line, row in cells.rows()),
        errors,
        "external_id",
        f"also on line {{}}; each {noun} has one row (a re-import updates the {noun})",
    )


@dataclass
class Plan:
    """What validation hands to writing: the problems found (none, or nothing is written), the
    counts for the summary, and the records already in the database."""

    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    # external_id -> database id of the records that exist already
    existing: dict[str, int] = field(default_factory=dict)

    def count(self, updates: Iterable[bool]) -> None:
        """Sets `updated` and `created` from whether each record updates one already recorded."""
        flags = list(updates)
        self.updated = sum(flags)
        self.created = len(flags) - self.updated
