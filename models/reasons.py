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


# Why an attorney declines an offer: chosen from these, with the attorney's own words after
# (stored as "Label: words"), so reports can count the reasons without reading the words.
DECLINE_REASONS: dict[str, str] = {
    "no_capacity": "No capacity right now",
    "expertise": "Outside my expertise",
    "conflict": "Conflict of interest",
    "language": "Language not a real match",
    "location": "Court or hearing date does not work",
    "other": "Other",
}
DECLINE_NOTE_REQUIRED_FOR = frozenset({"other"})

# Why a coordinator rejects a proposal, stored the same way.
REJECTION_REASONS: dict[str, str] = {
    "language": "Language not a real match",
    "conflict": "Conflict of interest found",
    "attorney_unsuitable": "Attorney unsuitable for this case",
    "already_represented": "Child already represented",
    "other": "Other",
}
REJECTION_NOTE_REQUIRED_FOR = frozenset({"other"})


def with_note(labels: dict[str, str], reason_code: str, note: str) -> str:
    """A coded reason as stored on the match and its event: the label, then the note."""
    label = labels[reason_code]
    note = note.strip()
    return f"{label}: {note}" if note else label


def coded_label(text: str | None, labels: dict[str, str]) -> str:
    """The label a stored reason ("Label: the note") starts with; "Other" when none does
    (reasons written before the labels existed). Never the note itself."""
    text = text or ""
    for label in labels.values():
        if text == label or text.startswith(f"{label}: "):
            return label
    return labels["other"]
