"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sqlalchemy.dialects import postgresql

import dialer.store.types

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('batches',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('not_before', dialer.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('not_after', dialer.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('fields', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('idempotency_key', sa.String(length=200), nullable=True),
    sa.Column('request_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', dialer.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', dialer.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_batches')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_batches_idempotency_key'))
    )
    op.create_table('candidates',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=True),
    sa.Column('fields', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('required_fields', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', dialer.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', dialer.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_candidates')),
    sa.UniqueConstraint('external_id', name=op.f('uq_candidates_external_id'))
    )
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_candidates_phone'), ['phone'], unique=False)

    op.create_table('do_not_call',
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_at', dialer.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('phone', name=op.f('pk_do_not_call'))
    )
    op.create_table('interviewers',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('pin_hash', sa.String(length=128), nullable=True),
    sa.Column('created_at', dialer.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interviewers')),
    sa.UniqueConstraint('email', name=op.f('uq_interviewers_email')),
    sa.UniqueConstraint('phone', name=op.f('uq_interviewers_phone')),
    sa.UniqueConstraint('pin_hash', name=op.f('uq_interviewers_pin_hash'))
    )
    op.create_table('outbox',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', dialer.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', dialer.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', dialer.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failed_at', dialer.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_due', ['delivered_at', 'next_attempt_at'], unique=False)

    op.create_table('received_webhooks',
    sa.Column('event_id', sa.String(length=100), nullable=False),
    sa.Column('event', sa.String(length=40), nullable=False),
    sa.Column('received_at', dialer.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_received_webhooks'))
    )
    op.create_table('trunk_budgets',
    sa.Column('trunk_id', sa.String(length=64), nullable=False),
    sa.Column('next_slot_at', dialer.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('trunk_id', name=op.f('pk_trunk_budgets'))
    )
    op.create_table('calls',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('batch_id', sa.String(length=40), nullable=True),
    sa.Column('candidate_id', sa.String(length=40), nullable=False),
    sa.Column('trunk_id', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('fields_to_ask', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('attempts_made', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', dialer.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('not_before', dialer.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('not_after', dialer.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('room_name', sa.String(length=100), nullable=True),
    sa.Column('current_attempt_id', sa.String(length=40), nullable=True),
    sa.Column('lease_owner', sa.String(length=64), nullable=True),
    sa.Column('lease_expires_at', dialer.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_outcome', sa.String(length=20), nullable=True),
    sa.Column('callback_at', dialer.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('created_at', dialer.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', dialer.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['batches.id'], name=op.f('fk_calls_batch_id_batches'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_calls_candidate_id_candidates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calls')),
    sa.UniqueConstraint('room_name', name=op.f('uq_calls_room_name'))
    )
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calls_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_candidate_id'), ['candidate_id'], unique=False)
        batch_op.create_index('ix_calls_due', ['state', 'next_attempt_at'], unique=False)

    op.create_table('interviews',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('candidate_id', sa.String(length=40), nullable=False),
    sa.Column('interviewer_id', sa.String(length=40), nullable=False),
    sa.Column('role', sa.String(length=200), nullable=False),
    sa.Column('scheduled_at', dialer.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resume_summary', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('room_name', sa.String(length=100), nullable=False),
    sa.Column('created_at', dialer.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_interviews_candidate_id_candidates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['interviewer_id'], ['interviewers.id'], name=op.f('fk_interviews_interviewer_id_interviewers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interviews')),
    sa.UniqueConstraint('room_name', name=op.f('uq_interviews_room_name'))
    )
    with op.batch_alter_table('interviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interviews_candidate_id'), ['candidate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_interviews_interviewer_id'), ['interviewer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_interviews_scheduled_at'), ['scheduled_at'], unique=False)

    op.create_table('attempts',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('call_id', sa.String(length=40), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('started_at', dialer.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answered_at', dialer.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', dialer.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=True),
    sa.Column('sip_status_code', sa.Integer(), nullable=True),
    sa.Column('duration_s', sa.Float(), nullable=True),
    sa.Column('sip_participant_identity', sa.String(length=100), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('report_sent', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_attempts_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attempts')),
    sa.UniqueConstraint('call_id', 'number', name='uq_attempts_call_number')
    )
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attempts_call_id'), ['call_id'], unique=False)

    op.create_table('collected_fields',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('call_id', sa.String(length=40), nullable=False),
    sa.Column('attempt_id', sa.String(length=40), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('value', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('source_text', sa.Text(), nullable=False),
    sa.Column('at', dialer.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_collected_fields_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collected_fields'))
    )
    with op.batch_alter_table('collected_fields', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collected_fields_call_id'), ['call_id'], unique=False)

    op.create_table('decisions',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('call_id', sa.String(length=40), nullable=False),
    sa.Column('at', dialer.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_decisions_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decisions'))
    )
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decisions_call_id'), ['call_id'], unique=False)

    op.create_table('transcript_turns',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('call_id', sa.String(length=40), nullable=False),
    sa.Column('attempt_id', sa.String(length=40), nullable=True),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('at', dialer.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_transcript_turns_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transcript_turns'))
    )
    with op.batch_alter_table('transcript_turns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transcript_turns_call_id'), ['call_id'], unique=False)

    op.create_table('voice_sessions',
    sa.Column('room_name', sa.String(length=100), nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('call_id', sa.String(length=40), nullable=True),
    sa.Column('interview_id', sa.String(length=40), nullable=True),
    sa.Column('created_at', dialer.store.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', dialer.store.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_voice_sessions_call_id_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['interview_id'], ['interviews.id'], name=op.f('fk_voice_sessions_interview_id_interviews'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('room_name', name=op.f('pk_voice_sessions'))
    )


def downgrade() -> None:
    op.drop_table('voice_sessions')
    with op.batch_alter_table('transcript_turns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transcript_turns_call_id'))

    op.drop_table('transcript_turns')
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decisions_call_id'))

    op.drop_table('decisions')
    with op.batch_alter_table('collected_fields', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collected_fields_call_id'))

    op.drop_table('collected_fields')
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attempts_call_id'))

    op.drop_table('attempts')
    with op.batch_alter_table('interviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interviews_scheduled_at'))
        batch_op.drop_index(batch_op.f('ix_interviews_interviewer_id'))
        batch_op.drop_index(batch_op.f('ix_interviews_candidate_id'))

    op.drop_table('interviews')
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index('ix_calls_due')
        batch_op.drop_index(batch_op.f('ix_calls_candidate_id'))
        batch_op.drop_index(batch_op.f('ix_calls_batch_id'))

    op.drop_table('calls')
    op.drop_table('trunk_budgets')
    op.drop_table('received_webhooks')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_due')

    op.drop_table('outbox')
    op.drop_table('interviewers')
    op.drop_table('do_not_call')
    with op.batch_alter_table('candidates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_candidates_phone'))

    op.drop_table('candidates')
    op.drop_table('batches')
