"""the user's language for the web pages

- `user_account.language`: `fr` or `ar` as the user chose it in the header's language
  switch; empty: French, the default.

Revision ID: 0040
Revises: 0045
Create Date: 2026-12-03 13:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0040'
down_revision = '0045'  # 0014 on the branch; re-chained at merge: 0014 -> 0050 -> 0045 -> 0040
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('language')
