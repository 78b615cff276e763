"""run requests: Run now queues a run for the clock process

match_runs.status gains `queued` (a run requested on the web, waiting for the clock) and
`cancelled` (a request withdrawn before it started); match_runs.requested_at is when it was asked
for; a partial unique index lets at most one run be queued at a time.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 09:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

STATUSES_BEFORE = ('running', 'succeeded', 'failed')
STATUSES_AFTER = ('queued', 'running', 'succeeded', 'failed', 'cancelled')
STATUS_CHECK = 'ck_match_runs_runstatus'
ONE_QUEUED = 'ix_match_runs_one_queued'
QUEUED_ONLY = sa.text("status = 'queued'")


def _status_check(values: tuple[str, ...]) -> None:
    with op.batch_alter_table('match_runs', schema=None) as batch_op:
        batch_op.drop_constraint(op.f(STATUS_CHECK), type_='check')
        batch_op.create_check_constraint(op.f(STATUS_CHECK), sa.column('status').in_(values))


def upgrade() -> None:
    _status_check(STATUSES_AFTER)
    with op.batch_alter_table('match_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requested_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            ONE_QUEUED,
            ['status'],
            unique=True,
            postgresql_where=QUEUED_ONLY,
            sqlite_where=QUEUED_ONLY,
        )


def downgrade() -> None:
    # Requests still waiting or withdrawn have no status before 0007: they never ran, so they go.
    op.execute(sa.text("DELETE FROM match_runs WHERE status IN ('queued', 'cancelled')"))
    with op.batch_alter_table('match_runs', schema=None) as batch_op:
        batch_op.drop_index(ONE_QUEUED)
        batch_op.drop_column('requested_at')
    _status_check(STATUSES_BEFORE)
