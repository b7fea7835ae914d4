"""batches and calls say whom they call for; a candidate's number can be flagged as not theirs

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("batches") as batch:
        batch.add_column(sa.Column("caller", _JSON, nullable=True))
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("caller", _JSON, nullable=True))
    with op.batch_alter_table("candidates") as batch:
        batch.add_column(sa.Column("wrong_number", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("candidates") as batch:
        batch.drop_column("wrong_number")
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("caller")
    with op.batch_alter_table("batches") as batch:
        batch.drop_column("caller")
