"""erasure of a child's personal data: children.erased_at, birth_year, birth_date nullable

An erased record keeps the anonymous facts the reports read (court, languages, case type,
dates, outcome) and the birth year (for an age band without the birth date); its names are
emptied and its A-number and birth date are NULL, which a CHECK holds to.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 09:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

ERASED_CHECK = (
    "(erased_at IS NULL AND birth_date IS NOT NULL) OR "
    "(erased_at IS NOT NULL AND birth_date IS NULL AND a_number IS NULL)"
)


def upgrade() -> None:
    with op.batch_alter_table('children', schema=None) as batch_op:
        batch_op.add_column(sa.Column('birth_year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.alter_column('birth_date', existing_type=sa.Date(), nullable=True)
        batch_op.create_check_constraint(
            op.f('ck_children_erased_holds_no_personal_data'), ERASED_CHECK
        )


def downgrade() -> None:
    # Erased records cannot get their birth dates back: refuse rather than invent them.
    bind = op.get_bind()
    erased = bind.execute(sa.text('SELECT count(*) FROM children WHERE erased_at IS NOT NULL'))
    if erased.scalar():
        raise RuntimeError(
            'children holds erased records, which have no birth date; a schema before 0006 '
            'requires one, so this downgrade cannot be made'
        )
    with op.batch_alter_table('children', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_children_erased_holds_no_personal_data'), type_='check')
        batch_op.alter_column('birth_date', existing_type=sa.Date(), nullable=False)
        batch_op.drop_column('erased_at')
        batch_op.drop_column('birth_year')
