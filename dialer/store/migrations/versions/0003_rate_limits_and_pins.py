"""rate-limit counters; PINs no longer unique (a PIN is checked against its own interviewer only)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import dialer.store.types

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'rate_limits',
        sa.Column('bucket', sa.String(length=200), nullable=False),
        sa.Column('window_start', dialer.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('bucket', name=op.f('pk_rate_limits')),
    )
    with op.batch_alter_table('interviewers') as batch:
        batch.drop_constraint(op.f('uq_interviewers_pin_hash'), type_='unique')


def downgrade() -> None:
    with op.batch_alter_table('interviewers') as batch:
        batch.create_unique_constraint(op.f('uq_interviewers_pin_hash'), ['pin_hash'])
    op.drop_table('rate_limits')
