"""trunk_budgets.guards: the CPS guards recent plans spaced the trunk's slots by, so instances that earned different
guards keep each other's

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("trunk_budgets") as batch:
        batch.add_column(
            sa.Column("guards", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("trunk_budgets") as batch:
        batch.drop_column("guards")
