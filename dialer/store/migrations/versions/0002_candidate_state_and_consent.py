"""candidates carry their US state and their consent to be called

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import dialer.store.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("candidates") as batch:
        batch.add_column(sa.Column("state", sa.String(length=2), nullable=True))
        batch.add_column(sa.Column("consent_source", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("consent_at", dialer.store.types.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("consent_channel", sa.String(length=40), nullable=True))
        batch.add_column(
            sa.Column("consent_withdrawn_at", dialer.store.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("candidates") as batch:
        for name in ("consent_withdrawn_at", "consent_channel", "consent_at", "consent_source", "state"):
            batch.drop_column(name)
