"""Vocabulary of the matching rules shared by every layer: case types, levels, tiers, and the
rules a (child, attorney) pair must pass, in the one order every explanation uses."""

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


class PairRule(StrEnum):
    """The matching rules of DESIGN.md a (child, attorney) pair must pass, in the order they are
    checked and explained (declaration order is the rule order): the unmatched reasons' filters,
    `matcher.pair_failures` and the decisions' messages all follow it.

    Values are stable: decisions record them in the audit trail."""

    COURT = "court"  # rule 1: lists the court, within travel radius, or remote in the state
    LANGUAGE = "language"  # rule 2: a shared language at working level, or an interpreter
    EXPERTISE = "expertise"  # rule 3: covers the case type (mentored: children not detained)
    DETAINED = "detained"  # rule 6: a detained child needs an attorney taking detained cases
    ON_LEAVE = "on_leave"  # rule 4: not on leave on the day of the run
    CONFLICT = "conflict"  # rule 5: no recorded conflict
    REFUSED_BEFORE = "refused_before"  # rule 5: never rejected by a coordinator or declined
    NO_FREE_SLOT = "no_free_slot"  # rule 4: a free slot


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
