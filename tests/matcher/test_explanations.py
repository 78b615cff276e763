"""Each proposal says why, with its score broken into named parts."""

from __future__ import annotations

from .builders import BAL, EXPERIENCED, FLUENT, NATIVE, NYC, SIJS, attorney, child, problem, solved


def test_why_and_score_parts_of_a_proposal() -> None:
    kid = child(1, languages=("mam", "spa"), case_type=SIJS, age=9, hearing_in_days=-2)
    lawyer = attorney(
        10,
        languages=(("spa", FLUENT), ("mam", NATIVE)),
        expertise=((SIJS, EXPERIENCED),),
        load=2,
    )
    result = solved(problem([kid], [lawyer]))
    (proposal,) = result.proposals
    assert proposal.score_parts == {
        "language": 30.0,
        "expertise": 20.0,
        "distance": 0.0,
        "tender_age": 10.0,
        "load": -4.0,
    }
    assert proposal.score == 56.0
    assert proposal.why == (
        "speaks Mam (native); experienced in SIJS; serves NYC; 0 km from court; tender age (9); "
        "1st new case for this attorney (carries 2); hearing date 2025-03-01 already past"
    )


def test_distance_part_and_unknown_home() -> None:
    far = attorney(10, courts=(BAL,), home=NYC)
    unknown = attorney(11, courts=(BAL,), home=None)
    kids = [child(1, court=BAL), child(2, court=BAL)]
    result = solved(problem(kids, [far, unknown]))
    parts = {p.attorney_id: p for p in result.proposals}
    # NYC to Baltimore is about 273 km: 5 points per 100 km; unknown counts as the 500 km cap
    assert -14.0 < parts[10].score_parts["distance"] < -13.4
    assert "km from court" in parts[10].why
    assert parts[11].score_parts["distance"] == -25.0
    assert "home location unknown" in parts[11].why
