"""What each reason a run gives for an unmatched child says to a person (coordinators' pages and
the program leads' reports read the same labels)."""

from __future__ import annotations

from matcher.result import UnmatchedReason

from .engine_adapter import CHANGED_WHILE_SOLVING

REASON_LABELS: dict[str, str] = {
    UnmatchedReason.NO_ATTORNEY_FOR_COURT: "No attorney serves the court",
    UnmatchedReason.NO_LANGUAGE: "No attorney speaks the language",
    UnmatchedReason.NO_EXPERTISE: "No attorney covers the case type",
    UnmatchedReason.DETAINED_NO_ATTORNEY: "No attorney takes detained cases",
    UnmatchedReason.ALL_ON_LEAVE: "Every suitable attorney is on leave",
    UnmatchedReason.CONFLICTS_OR_REFUSED: "Conflicts, rejections or declines",
    UnmatchedReason.ALL_ELIGIBLE_FULL: "Every eligible attorney is full",
    UnmatchedReason.SIBLINGS_NO_COMMON_ATTORNEY: "No attorney for the whole sibling group",
    UnmatchedReason.SIBLING_GROUP_TOO_LARGE: "Sibling group too large for any attorney",
    UnmatchedReason.TAKEN_BY_MORE_URGENT: "Free slots went to children as urgent or more",
    UnmatchedReason.NOT_PLACED: "Not placed before the time limit",
    CHANGED_WHILE_SOLVING: "A decision overtook the proposal while the run solved",
}


def reason_label(reason: str) -> str:
    return REASON_LABELS.get(reason, reason.replace("_", " ").capitalize())
