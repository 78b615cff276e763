"""Changing settings as an admin does on /admin/settings: every typed value read by its setting's
kind (`models.settings`), every problem reported by setting name before anything is written,
then each changed value written and audited with its old and new value.

The history of changes is the audit trail (`setting_changed` events of entity type `setting`).
Models never commit: the caller owns `with session.begin():`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from . import audit
from .entities import AuditEvent, User
from .setting_kinds import SettingInvalid, SettingSpec
from .settings import OFFER_EXPIRY_DAYS, OFFER_REMINDER_DAYS, offer_clock_problem, setting_named

SETTING_CHANGED = "setting_changed"
SETTING_ENTITY = "setting"


class SettingsRefused(Exception):
    """What is wrong, by setting name; nothing was written."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class SettingChange:
    """One setting changed: its name and label, and the old and new value as shown."""

    name: str
    label: str
    old: str
    new: str


def _stored_or_problem(session: Session, spec: SettingSpec[Any]) -> Any:
    """The stored value, or None when its row cannot even be read as this setting's."""
    try:
        return spec.stored(session)
    except SettingInvalid:
        return None


def change_settings(
    session: Session, actor: User | str, typed: Mapping[str, str]
) -> list[SettingChange]:
    """Set each setting named in `typed` (name -> text as a person typed it) that changed.

    Text equal to what the page shows for the current value leaves the setting alone (so a
    value set outside the page, e.g. cron fields, survives a save of other settings). Raises
    SettingsRefused with every problem, before writing anything; returns the changes made.
    """
    errors: dict[str, str] = {}
    chosen: list[tuple[SettingSpec[Any], Any, Any]] = []  # (spec, old stored, new value)
    for name, text in typed.items():
        spec = setting_named(name)
        if spec is None:
            errors[name] = f"There is no setting {name[:100]!r}."
            continue
        old = _stored_or_problem(session, spec)
        if old is not None and text == spec.text(session, old):
            continue
        try:
            value = spec.parse(session, text)
        except SettingInvalid as invalid:
            errors[name] = invalid.message
            continue
        if old is not None and spec.to_stored(value) == old:
            continue
        chosen.append((spec, old, value))
    _check_offer_clock(session, chosen, errors)
    if errors:
        raise SettingsRefused(errors)
    changes = []
    for spec, old, value in chosen:
        new = spec.to_stored(value)
        spec.write(session, value)
        audit.record(session, actor, SETTING_CHANGED, SETTING_ENTITY, spec.name, old=old, new=new)
        shown_old, shown_new = _shown(session, spec, old), _shown(session, spec, new)
        changes.append(SettingChange(spec.name, spec.label, shown_old, shown_new))
    session.flush()
    return changes


def _check_offer_clock(
    session: Session,
    chosen: list[tuple[SettingSpec[Any], Any, Any]],
    errors: dict[str, str],
) -> None:
    """The reminder must come before the expiry, whichever of the two changes."""
    if OFFER_REMINDER_DAYS.name in errors or OFFER_EXPIRY_DAYS.name in errors:
        return
    new = {spec.name: value for spec, _old, value in chosen}
    if OFFER_REMINDER_DAYS.name not in new and OFFER_EXPIRY_DAYS.name not in new:
        return
    try:
        reminder = new.get(OFFER_REMINDER_DAYS.name) or OFFER_REMINDER_DAYS.read(session)
        expiry = new.get(OFFER_EXPIRY_DAYS.name) or OFFER_EXPIRY_DAYS.read(session)
    except SettingInvalid:
        return  # the stored one is being replaced or reported on its own field
    problem = offer_clock_problem(reminder, expiry)
    if problem:
        field = (
            OFFER_REMINDER_DAYS.name if OFFER_REMINDER_DAYS.name in new else OFFER_EXPIRY_DAYS.name
        )
        errors[field] = problem


def _shown(session: Session, spec: SettingSpec[Any] | None, stored: object) -> str:
    if stored is None:
        return "–"
    if spec is None:
        return str(stored)
    return spec.text(session, stored)


def setting_history() -> Select[AuditEvent]:
    """The audit events of setting changes, newest first (for a page of the history)."""
    return (
        select(AuditEvent)
        .where(AuditEvent.entity_type == SETTING_ENTITY, AuditEvent.action == SETTING_CHANGED)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )


@dataclass(frozen=True)
class HistoryLine:
    event: AuditEvent
    label: str
    old: str
    new: str


def history_lines(session: Session, events: list[AuditEvent]) -> list[HistoryLine]:
    """Audit events of setting changes as the page shows them: the setting's label, old and new
    values as its field would hold them ("–" where an event recorded none)."""
    lines = []
    for event in events:
        spec = setting_named(event.entity_id or "")
        details = event.details or {}
        lines.append(
            HistoryLine(
                event=event,
                label=spec.label if spec else (event.entity_id or "–"),
                old=_shown(session, spec, details.get("old")),
                new=_shown(session, spec, details.get("new")),
            )
        )
    return lines
