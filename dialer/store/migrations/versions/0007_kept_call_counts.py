"""calls by state are kept in call_counts (rows the lifecycle inserts with each change, folded now and then), backfilled here

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_counts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_call_counts"),
    )
    # Counted in the migration's transaction. Code older than this revision does not keep the counts, so every
    # instance must run this version once the table exists (as for any schema change here).
    op.execute(
        "INSERT INTO call_counts (state, n) SELECT state, count(*) FROM calls GROUP BY state"
    )


def downgrade() -> None:
    op.drop_table("call_counts")
