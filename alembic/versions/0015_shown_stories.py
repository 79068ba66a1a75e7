"""shown stories: which stories each posted briefing message showed, for follow-ups to link back to

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('shown_stories',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('delivery_id', sa.BigInteger(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('channel_id', sa.String(length=32), nullable=False),
    sa.Column('conversation_id', sa.String(length=32), nullable=False),
    sa.Column('story_id', sa.BigInteger(), nullable=False),
    sa.Column('part', sa.Integer(), nullable=False),
    sa.Column('message_ts', sa.String(length=32), nullable=False),
    sa.Column('permalink', sa.String(length=500), nullable=True),
    sa.Column('posted_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['delivery_id'], ['deliveries.id'], name=op.f('fk_shown_stories_delivery_id_deliveries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['story_id'], ['stories.id'], name=op.f('fk_shown_stories_story_id_stories'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shown_stories')),
    sa.UniqueConstraint('delivery_id', 'story_id', name=op.f('uq_shown_stories_delivery_id_story_id'))
    )
    with op.batch_alter_table('shown_stories', schema=None) as batch_op:
        batch_op.create_index('ix_shown_stories_channel_story', ['team_id', 'channel_id', 'story_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shown_stories_posted_at'), ['posted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_shown_stories_story_id'), ['story_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('shown_stories', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shown_stories_story_id'))
        batch_op.drop_index(batch_op.f('ix_shown_stories_posted_at'))
        batch_op.drop_index('ix_shown_stories_channel_story')
    op.drop_table('shown_stories')
