"""a browser session remembers whom its gap-filling call is for, so the call row is written only once someone joins

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("voice_sessions") as batch:
        batch.add_column(sa.Column("pending_call_id", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("candidate_id", sa.String(length=40), nullable=True))
        batch.create_foreign_key(
            "fk_voice_sessions_candidate_id", "candidates", ["candidate_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_index("ix_voice_sessions_pending_call_id", ["pending_call_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("voice_sessions") as batch:
        batch.drop_index("ix_voice_sessions_pending_call_id")
        batch.drop_constraint("fk_voice_sessions_candidate_id", type_="foreignkey")
        batch.drop_column("candidate_id")
        batch.drop_column("pending_call_id")
