"""Vocabulary of the matching rules shared by every layer: case types, levels, tiers."""

from __future__ import annotations

from datetime import date
from enum import IntEnum, StrEnum


class CaseType(StrEnum):
    ASYLUM = "asylum"
    SIJS = "sijs"
    T_VISA = "t_visa"
    U_VISA = "u_visa"
    REMOVAL_DEFENSE = "removal_defense"


class LanguageLevel(StrEnum):
    NATIVE = "native"
    FLUENT = "fluent"
    WORKING = "working"


class ExpertiseLevel(StrEnum):
    EXPERT = "expert"
    EXPERIENCED = "experienced"
    MENTORED = "mentored"


class Tier(IntEnum):
    """Urgency tier: T1 is the most urgent."""

    T1 = 1
    T2 = 2
    T3 = 3
    T4 = 4


T1_WITHIN_DAYS = 14
T2_WITHIN_DAYS = 30
T3_WITHIN_DAYS = 90
TENDER_AGE_UNDER_YEARS = 13


def tier_for(next_hearing_date: date | None, detained: bool, as_of: date) -> Tier:
    """The child's tier on `as_of`; a hearing date already past counts as T1."""
    if detained:
        return Tier.T1
    if next_hearing_date is None:
        return Tier.T4
    hearing_within_days = (next_hearing_date - as_of).days
    if hearing_within_days <= T1_WITHIN_DAYS:
        return Tier.T1
    if hearing_within_days <= T2_WITHIN_DAYS:
        return Tier.T2
    if hearing_within_days <= T3_WITHIN_DAYS:
        return Tier.T3
    return Tier.T4


def age_on(birth_date: date, as_of: date) -> int:
    """Whole years of age on `as_of`."""
    had_birthday = (as_of.month, as_of.day) >= (birth_date.month, birth_date.day)
    return as_of.year - birth_date.year - (0 if had_birthday else 1)
