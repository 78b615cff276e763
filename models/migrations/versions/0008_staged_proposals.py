"""staged_proposals: a run's proposals written before it takes over the review queue

A large run writes its proposals here in short transactions; one short transaction then moves
them into matches, so coordinators' decisions never wait on the long writes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 17:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'staged_proposals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('child_id', sa.Integer(), nullable=False),
        sa.Column('attorney_id', sa.Integer(), nullable=False),
        sa.Column('tier', sa.Integer(), nullable=False),
        sa.Column('score', sa.Double(), nullable=False),
        sa.Column('score_parts', sa.JSON(), nullable=False),
        sa.Column('explanation', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ['run_id'], ['match_runs.id'], name=op.f('fk_staged_proposals_run_id_match_runs')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_staged_proposals')),
    )
    with op.batch_alter_table('staged_proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staged_proposals_run_id'), ['run_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('staged_proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staged_proposals_run_id'))
    op.drop_table('staged_proposals')
