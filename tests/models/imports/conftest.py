"""The `recorded` database the import tests start from."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.models.imports.helpers import ATTORNEY, ATTORNEYS, CHILD, CHILDREN, rows, run


@pytest.fixture
def recorded(session: Session) -> Session:
    """A database that already holds attorney A-1 and child C-1 (A-number 123456789), so that a
    failed import could visibly change or add records."""
    run(session, ATTORNEYS, rows(ATTORNEYS, ATTORNEY))
    run(session, CHILDREN, rows(CHILDREN, CHILD))
    return session
