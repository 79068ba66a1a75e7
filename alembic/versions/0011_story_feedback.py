"""story feedback: 👍/👎 per user and story in a channel

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('story_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('channel_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.String(length=32), nullable=False),
    sa.Column('story_id', sa.BigInteger(), nullable=False),
    sa.Column('vote', sa.Integer(), nullable=False),
    sa.Column('themes', sa.JSON(), nullable=False),
    sa.Column('outlet', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_story_feedback')),
    sa.UniqueConstraint('team_id', 'channel_id', 'user_id', 'story_id',
                        name=op.f('uq_story_feedback_team_id_channel_id_user_id_story_id'))
    )


def downgrade() -> None:
    op.drop_table('story_feedback')
