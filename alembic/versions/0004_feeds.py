"""feeds: time zone, failure kinds, lease; articles: canonical URL beside the publisher's link

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('feeds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_kind', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('tz', sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column('utc_is_local', sa.Boolean(), server_default=sa.text('false'), nullable=False)
        )
        batch_op.add_column(sa.Column('lease_owner', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(), nullable=True))
    with op.batch_alter_table('fetch_attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=32), nullable=True))
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('canonical_url', sa.String(length=2048), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.drop_column('canonical_url')
    with op.batch_alter_table('fetch_attempts', schema=None) as batch_op:
        batch_op.drop_column('kind')
    with op.batch_alter_table('feeds', schema=None) as batch_op:
        batch_op.drop_column('lease_until')
        batch_op.drop_column('lease_owner')
        batch_op.drop_column('utc_is_local')
        batch_op.drop_column('tz')
        batch_op.drop_column('last_kind')
