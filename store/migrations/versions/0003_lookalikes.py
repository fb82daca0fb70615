"""lookalike candidates, captures and verdicts

Revision ID: 0003_lookalikes
Revises: 0002
Create Date: 2026-12-07 04:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003_lookalikes'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('lookalike_candidates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('domain', sa.String(length=255), nullable=False),
    sa.Column('origin', sa.String(length=40), nullable=False),
    sa.Column('origin_detail', sa.Text(), nullable=False),
    sa.Column('first_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen', sa.DateTime(timezone=True), nullable=False),
    sa.Column('name_label', sa.String(length=20), nullable=False),
    sa.Column('name_score', sa.Float(), nullable=False),
    sa.Column('name_imitates', sa.String(length=255), nullable=True),
    sa.Column('name_reasons', sa.JSON(), nullable=False),
    sa.Column('resolves', sa.Boolean(), nullable=True),
    sa.Column('addresses', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('domain')
    )
    op.create_index(op.f('ix_lookalike_candidates_name_label'), 'lookalike_candidates', ['name_label'], unique=False)
    op.create_table('lookalike_captures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('captured_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('final_url', sa.Text(), nullable=True),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('directory', sa.Text(), nullable=False),
    sa.Column('screenshot_path', sa.Text(), nullable=True),
    sa.Column('screenshot_sha256', sa.String(length=64), nullable=True),
    sa.Column('dom_path', sa.Text(), nullable=True),
    sa.Column('dom_sha256', sa.String(length=64), nullable=True),
    sa.Column('manifest_path', sa.Text(), nullable=True),
    sa.Column('manifest_sha256', sa.String(length=64), nullable=True),
    sa.Column('forms', sa.JSON(), nullable=False),
    sa.Column('canary_result', sa.String(length=20), nullable=True),
    sa.Column('canary_number', sa.String(length=60), nullable=True),
    sa.Column('exchange_path', sa.Text(), nullable=True),
    sa.Column('exchange_sha256', sa.String(length=64), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['candidate_id'], ['lookalike_candidates.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_lookalike_captures_canary_result'), 'lookalike_captures', ['canary_result'], unique=False)
    op.create_index(op.f('ix_lookalike_captures_candidate_id'), 'lookalike_captures', ['candidate_id'], unique=False)
    op.create_table('lookalike_verdicts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('capture_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('label', sa.String(length=20), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('imitates', sa.String(length=255), nullable=True),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('page_signals', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['candidate_id'], ['lookalike_candidates.id'], ),
    sa.ForeignKeyConstraint(['capture_id'], ['lookalike_captures.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_lookalike_verdict_candidate_at', 'lookalike_verdicts', ['candidate_id', 'decided_at'], unique=False)
    op.create_index(op.f('ix_lookalike_verdicts_label'), 'lookalike_verdicts', ['label'], unique=False)
    # ### end Alembic commands ###


def downgrade() -> None:
    op.drop_index(op.f('ix_lookalike_verdicts_label'), table_name='lookalike_verdicts')
    op.drop_index('ix_lookalike_verdict_candidate_at', table_name='lookalike_verdicts')
    op.drop_table('lookalike_verdicts')
    op.drop_index(op.f('ix_lookalike_captures_candidate_id'), table_name='lookalike_captures')
    op.drop_index(op.f('ix_lookalike_captures_canary_result'), table_name='lookalike_captures')
    op.drop_table('lookalike_captures')
    op.drop_index(op.f('ix_lookalike_candidates_name_label'), table_name='lookalike_candidates')
    op.drop_table('lookalike_candidates')
    # ### end Alembic commands ###
