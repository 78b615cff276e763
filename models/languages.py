"""The language catalogue: ISO 639-3 (from pycountry) plus the spellings people really write.

Names are compared folded (case, accents, apostrophes, hyphens), never across two languages:
a spelling that folds onto two different languages resolves to neither.
"""

from __future__ import annotations

import csv
import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

import pycountry

_APOSTROPHES = re.compile(r"['\u2019\u2018\u02bc\u02bb`\u00b4]")
_SEPARATORS = re.compile(r"[-_./]+")


def fold(name: str) -> str:
    """The comparison key of a language name: `K’iche’`, `Kiche` and `KICHE` fold alike."""
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    stripped = _APOSTROPHES.sub("", stripped)
    stripped = _SEPARATORS.sub(" ", stripped)
    return " ".join(stripped.split())


@dataclass(frozen=True)
class CatalogueEntry:
    code: str
    name: str
    interpreter_available: bool
    common: bool


def read_data_csv(filename: str) -> list[dict[str, str]]:
    text = resources.files("models.data").joinpath(filename).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def shipped_languages() -> list[CatalogueEntry]:
    """Every living ISO 639-3 language, with this field's display names and interpreter defaults."""
    overrides = {row["code"]: row for row in read_data_csv("languages.csv")}
    entries = []
    for language in pycountry.languages:
        if getattr(language, "type", None) != "L":
            continue
        code = language.alpha_3
        override = overrides.get(code)
        entries.append(
            CatalogueEntry(
                code=code,
                name=override["display_name"] if override else language.name,
                interpreter_available=(
                    override is not None and override["interpreter_available"] == "true"
                ),
                common=override is not None,
            )
        )
    return sorted(entries, key=lambda e: e.code)


def shipped_spellings() -> list[tuple[str, str]]:
    """(spelling, code) pairs: ISO names, display names and the known aliases."""
    pairs: list[tuple[str, str]] = []
    for language in pycountry.languages:
        if getattr(language, "type", None) == "L":
            pairs.append((language.name, language.alpha_3))
    pairs += [(row["display_name"], row["code"]) for row in read_data_csv("languages.csv")]
    pairs += [(row["spelling"], row["code"]) for row in read_data_csv("language_aliases.csv")]
    return pairs


def unambiguous_aliases(spellings: Iterable[tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """folded spelling -> (first spelling seen, code), dropping folds shared by two languages."""
    by_fold: dict[str, tuple[str, str]] = {}
    ambiguous: set[str] = set()
    for spelling, code in spellings:
        key = fold(spelling)
        if not key:
            continue
        if key in by_fold and by_fold[key][1] != code:
            ambiguous.add(key)
        by_fold.setdefault(key, (spelling, code))
    for key in ambiguous:
        del by_fold[key]
    return by_fold


class LanguageCatalogue:
    """Resolves what people write to a language code, and suggests the closest entry when lost."""

    def __init__(self, aliases: dict[str, str], names: dict[str, str]) -> None:
        # aliases: folded spelling -> code; names: code -> display name
        self._aliases = aliases
        self._names = names
        # Suggestions prefer the languages this field sees, then the rest of ISO 639-3.
        self._folds = sorted(aliases)

    def resolve(self, written: str) -> str | None:
        """The code of the language `written` names, or None when unknown or ambiguous."""
        key = fold(written)
        code = self._aliases.get(key)
        if code is None and key in self._names:  # an ISO 639-3 code written as such
            code = key
        return code

    def name(self, code: str) -> str:
        return self._names[code]

    def suggest(self, written: str) -> str | None:
        """The display name of the closest known language, for an error message."""
        close = difflib.get_close_matches(fold(written), self._folds, n=1, cutoff=0.6)
        return self._names[self._aliases[close[0]]] if close else None


def shipped_catalogue() -> LanguageCatalogue:
    """The catalogue as `counselmatch init-db` loads it, without a database (benchmarks, tests)."""
    aliases = {
        folded: code for folded, (_, code) in unambiguous_aliases(shipped_spellings()).items()
    }
    return LanguageCatalogue(aliases, {entry.code: entry.name for entry in shipped_languages()})
