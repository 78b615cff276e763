"""attorneys.active_cases becomes imported_active_cases

The column holds only the cases an attorney carries outside this system (the import's
`active_cases` column); "active cases" is that plus the accepted matches (models/capacity.py).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 05:40:00

"""
from typing import Sequence, Union

from alembic import op


revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('attorneys', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_attorneys_active_cases_non_negative'), type_='check')
        batch_op.alter_column('active_cases', new_column_name='imported_active_cases')
        batch_op.create_check_constraint(
            op.f('ck_attorneys_imported_active_cases_non_negative'), 'imported_active_cases >= 0'
        )


def downgrade() -> None:
    with op.batch_alter_table('attorneys', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_attorneys_imported_active_cases_non_negative'), type_='check')
        batch_op.alter_column('imported_active_cases', new_column_name='active_cases')
        batch_op.create_check_constraint(
            op.f('ck_attorneys_active_cases_non_negative'), 'active_cases >= 0'
        )
