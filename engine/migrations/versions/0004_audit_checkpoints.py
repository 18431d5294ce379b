"""audit checkpoints: signed Merkle roots over every instance's chain head, and their leaves

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_checkpoint',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('root', sa.String(length=64), nullable=False),
    sa.Column('leaf_count', sa.Integer(), nullable=False),
    sa.Column('prev', sa.String(length=64), nullable=False),
    sa.Column('key_id', sa.String(length=64), nullable=False),
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_checkpoint'))
    )
    op.create_table('audit_checkpoint_leaf',
    sa.Column('instance_id', sa.String(length=36), nullable=False),
    sa.Column('checkpoint_seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['checkpoint_seq'], ['audit_checkpoint.seq'],
                            name=op.f('fk_audit_checkpoint_leaf_checkpoint_seq_audit_checkpoint')),
    sa.PrimaryKeyConstraint('instance_id', 'checkpoint_seq', name=op.f('pk_audit_checkpoint_leaf'))
    )


def downgrade() -> None:
    op.drop_table('audit_checkpoint_leaf')
    op.drop_table('audit_checkpoint')
