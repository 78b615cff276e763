"""Reference data shipped with the package: the immigration courts and the language catalogue."""

from __future__ import annotations

import csv
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from .entities import Court, Language, LanguageAlias
from .languages import LanguageCatalogue, shipped_languages, shipped_spellings, unambiguous_aliases


def load_courts(session: Session) -> int:
    """Insert or update the shipped courts by code; courts an admin added are left alone."""
    text = resources.files("models.data").joinpath("courts.csv").read_text(encoding="utf-8")
    existing = {court.code: court for court in session.scalars(select(Court))}
    rows = list(csv.DictReader(text.splitlines()))
    for row in rows:
        court = existing.get(row["code"]) or Court(code=row["code"])
        court.name = row["name"]
        court.city = row["city"]
        court.state = row["state"]
        court.detained_only = row["detained_only"] == "true"
        court.latitude = float(row["latitude"])
        court.longitude = float(row["longitude"])
        session.add(court)
    return len(rows)


def load_languages(session: Session) -> int:
    """Insert the catalogue and its spellings; settings already made (interpreters) are kept."""
    existing = {language.code: language for language in session.scalars(select(Language))}
    for entry in shipped_languages():
        language = existing.get(entry.code)
        if language is None:
            language = Language(
                code=entry.code,
                name=entry.name,
                interpreter_available=entry.interpreter_available,
                common=entry.common,
            )
            session.add(language)
            existing[entry.code] = language
        else:
            language.name = entry.name
            language.common = entry.common
    session.flush()
    known_aliases = set(session.scalars(select(LanguageAlias.folded)))
    session.add_all(
        LanguageAlias(folded=folded, spelling=spelling, language_id=existing[code].id)
        for folded, (spelling, code) in unambiguous_aliases(shipped_spellings()).items()
        if folded not in known_aliases and code in existing
    )
    return len(existing)


def load_reference_data(session: Session) -> tuple[int, int]:
    """Courts and languages, idempotently; returns (courts, languages)."""
    return load_courts(session), load_languages(session)


def language_catalogue(session: Session) -> LanguageCatalogue:
    """The catalogue as the database holds it now."""
    # Rows unpack as typed tuples (Result.tuples() is deprecated since SQLAlchemy 2.1).
    names = dict(session.execute(select(Language.code, Language.name)).all())
    aliases = dict(
        session.execute(
            select(LanguageAlias.folded, Language.code).join(LanguageAlias.language)
        ).all()
    )
    return LanguageCatalogue(aliases, names)
