"""evidence: index of WARC records captured at crawl time

Revision ID: 0005_evidence
Revises: 0002
Create Date: 2026-12-07 04:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005_evidence'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('warc_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('capture_id', sa.String(length=36), nullable=False),
    sa.Column('page_kind', sa.String(length=20), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('page_url', sa.Text(), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('page_url_sha256', sa.String(length=64), nullable=False),
    sa.Column('url_sha256', sa.String(length=64), nullable=False),
    sa.Column('target_uri', sa.Text(), nullable=False),
    sa.Column('listing_key', sa.String(length=500), nullable=True),
    sa.Column('referrer', sa.Text(), nullable=True),
    sa.Column('record_type', sa.String(length=20), nullable=False),
    sa.Column('warc_record_id', sa.String(length=64), nullable=False),
    sa.Column('concurrent_to', sa.String(length=64), nullable=True),
    sa.Column('refers_to', sa.String(length=64), nullable=True),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('offset', sa.BigInteger(), nullable=False),
    sa.Column('length', sa.BigInteger(), nullable=False),
    sa.Column('payload_sha256', sa.String(length=64), nullable=True),
    sa.Column('record_sha256', sa.String(length=64), nullable=False),
    sa.Column('captured_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('content_type', sa.String(length=200), nullable=True),
    sa.Column('http_status', sa.Integer(), nullable=True),
    sa.Column('ip_address', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('warc_record_id')
    )
    with op.batch_alter_table('warc_records', schema=None) as batch_op:
        batch_op.create_index('ix_warc_records_capture_id', ['capture_id'], unique=False)
        batch_op.create_index('ix_warc_records_payload_sha256', ['payload_sha256'], unique=False)
        # URLs are indexed by their SHA-256: PostgreSQL's btree rejects entries over ~2.7 KB.
        batch_op.create_index('ix_warc_records_url_sha256', ['url_sha256'], unique=False)
        batch_op.create_index('ix_warc_records_page_url_sha256', ['page_url_sha256'],
                              unique=False)
        batch_op.create_index('ix_warc_records_source_key', ['source', 'listing_key'], unique=False)
        batch_op.create_index('ix_warc_records_run_page', ['run_id', 'page_url_sha256'], unique=False)


def downgrade() -> None:
    op.drop_table('warc_records')
