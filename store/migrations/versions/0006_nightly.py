"""nightly runs and per-source stats

Revision ID: 0006_nightly
Revises: 0002
Create Date: 2026-12-07 04:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006_nightly'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('nightly_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('scheduled_for', sa.DateTime(timezone=True), nullable=True),
    sa.Column('trigger', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('exit_code', sa.Integer(), nullable=True),
    sa.Column('batch', sa.String(length=40), nullable=True),
    sa.Column('hostname', sa.String(length=255), nullable=True),
    sa.Column('pid', sa.Integer(), nullable=True),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('nightly_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nightly_runs_scheduled_for'), ['scheduled_for'], unique=False)
        batch_op.create_index(batch_op.f('ix_nightly_runs_status'), ['status'], unique=False)

    op.create_table('nightly_source_stats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nightly_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('listings', sa.Integer(), nullable=False),
    sa.Column('errors', sa.Integer(), nullable=False),
    sa.Column('error_rate', sa.Float(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['nightly_id'], ['nightly_runs.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('nightly_source_stats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nightly_source_stats_nightly_id'), ['nightly_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_nightly_source_stats_source'), ['source'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('nightly_source_stats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nightly_source_stats_source'))
        batch_op.drop_index(batch_op.f('ix_nightly_source_stats_nightly_id'))
    op.drop_table('nightly_source_stats')
    with op.batch_alter_table('nightly_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nightly_runs_status'))
        batch_op.drop_index(batch_op.f('ix_nightly_runs_scheduled_for'))
    op.drop_table('nightly_runs')
