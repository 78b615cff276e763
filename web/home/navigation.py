"""The main navigation: one list, filtered by the signed-in user's role."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request
from flask_login import current_user

from models.entities import Role

from ..reports import REPORT_READERS

ALL_ROLES = frozenset(Role)


@dataclass(frozen=True)
class NavLink:
    endpoint: str
    label: str
    roles: frozenset[Role]


# Each blueprint adds a line for its pages, e.g.
#   NavLink("coordinator.review", "Review queue", frozenset({Role.COORDINATOR})),
# A link shows only once its endpoint is registered and only to the roles listed.
COORDINATOR = frozenset({Role.COORDINATOR})
ATTORNEY = frozenset({Role.ATTORNEY})
NAV_LINKS: tuple[NavLink, ...] = (
    NavLink("home.index", "Home", ALL_ROLES),
    NavLink("coordinator.review", "Review queue", COORDINATOR),
    NavLink("coordinator.unmatched", "Unmatched children", COORDINATOR),
    NavLink("coordinator.attorneys", "Attorneys", COORDINATOR),
    NavLink("coordinator.volunteers", "Volunteers", COORDINATOR),
    NavLink("coordinator.runs", "Runs", COORDINATOR),
    NavLink("coordinator.uploads", "Spreadsheets", COORDINATOR),
    NavLink("coordinator.audit", "Audit trail", frozenset({Role.COORDINATOR, Role.ADMIN})),
    NavLink("reports.index", "Reports", frozenset(REPORT_READERS)),
    NavLink("admin.users_list", "Accounts", frozenset({Role.ADMIN})),
    NavLink("admin.settings", "Settings", frozenset({Role.ADMIN})),
    NavLink("admin.courts", "Courts", frozenset({Role.ADMIN})),
    NavLink("admin.outbox", "E-mail outbox", frozenset({Role.ADMIN})),
    NavLink("attorney.overview", "Overview", ATTORNEY),
    NavLink("attorney.offers", "Offers", ATTORNEY),
    NavLink("attorney.cases", "Cases", ATTORNEY),
    NavLink("attorney.profile", "Profile", ATTORNEY),
    NavLink("attorney.leave", "Leave", ATTORNEY),
)


@dataclass(frozen=True)
class ShownLink:
    endpoint: str
    label: str
    current: bool


def nav_links() -> list[ShownLink]:
    """The links the signed-in user may follow, marking the page being shown."""
    if not current_user.is_authenticated:
        return []
    return [
        ShownLink(link.endpoint, link.label, request.endpoint == link.endpoint)
        for link in NAV_LINKS
        if current_user.role in link.roles and link.endpoint in current_app.view_functions
    ]
