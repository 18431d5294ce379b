"""groups directory with display names, disabled users

- `access_group`: each group's display name ("Bureau d'ordre" for `bureau_ordre`); the
  group names memberships already use are put in, labelled by their name.
- `user_account.disabled_at`: a disabled user neither logs in nor uses a live token.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 17:30:00
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'access_group',
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('label', sa.String(length=255), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_access_group')),
    )
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True))
    conn = op.get_bind()
    now = datetime.now(timezone.utc)
    at = now if conn.dialect.name != "sqlite" else now.replace(tzinfo=None).isoformat(" ", "microseconds")
    for (name,) in conn.execute(sa.text("SELECT DISTINCT group_name FROM user_group")).all():
        conn.execute(sa.text("INSERT INTO access_group (name, label, created_at) VALUES (:n, :n, :at)"),
                     {"n": name, "at": at})


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('disabled_at')
    op.drop_table('access_group')
