"""Stored reasons are counted by their coded label, never by the words added to them."""

from __future__ import annotations

import pytest

from models.reasons import DECLINE_REASONS, REJECTION_REASONS, coded_label, with_note


def test_a_decline_is_stored_as_its_label_then_the_note():
    stored = with_note(DECLINE_REASONS, "no_capacity", "  trial in May ")
    assert stored == "No capacity right now: trial in May"
    assert with_note(DECLINE_REASONS, "conflict", " ") == "Conflict of interest"
    with pytest.raises(KeyError):
        with_note(DECLINE_REASONS, "bored", "")


@pytest.mark.parametrize(
    ("text", "labels", "label"),
    [
        ("Conflict of interest", DECLINE_REASONS, "Conflict of interest"),
        ("Conflict of interest: knows the sponsor", DECLINE_REASONS, "Conflict of interest"),
        ("Conflict of interestX", DECLINE_REASONS, "Other"),
        ("busy with a trial", DECLINE_REASONS, "Other"),
        (None, DECLINE_REASONS, "Other"),
        ("Language not a real match: K'iche'", REJECTION_REASONS, "Language not a real match"),
    ],
)
def test_the_coded_label_is_the_label_a_reason_starts_with(text, labels, label):
    assert coded_label(text, labels) == label
