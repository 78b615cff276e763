"""The names every coordinator template may use besides its view's own: the functions and labels
of the review queue and child pages, and of the runs pages (a view's own values win)."""

from __future__ import annotations

from typing import Any

from matcher.rules import age_on
from models.erasure import shown_name
from models.pair_checks import RULE_LABELS
from models.reasons import REJECTION_REASONS

from . import bp
from .explanations import court_label
from .review import case_type_name, score_parts
from .runs import STAGE_LABELS, TIERS, TIMING_LABELS, TRIGGER_LABELS, duration


@bp.context_processor
def template_helpers() -> dict[str, Any]:
    return {
        "case_type_name": case_type_name,
        "score_parts": score_parts,
        "age_on": age_on,
        "court_label": court_label,
        "rejection_reasons": REJECTION_REASONS,
        "rule_labels": RULE_LABELS,
        "tiers": TIERS,
        "stage_labels": STAGE_LABELS,
        "trigger_labels": TRIGGER_LABELS,
        "timing_labels": TIMING_LABELS,
        "duration": duration,
        "shown_name": shown_name,
    }
