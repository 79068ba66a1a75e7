"""delivery: covered_until, claim generation and heartbeat, parts posted, user time zones,
subscriptions -> channels foreign key

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('covered_until', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('user_tz', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('user_tz_checked_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('joined_at', sa.DateTime(), nullable=True))

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('generation', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('parts_posted', sa.Integer(), server_default=sa.text('0'), nullable=False))
        batch_op.add_column(sa.Column('posting_part', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('covered_until', sa.DateTime(), nullable=True))

    # What earlier briefings covered is best known from when they were posted.
    op.execute("UPDATE channels SET covered_until = last_briefed_at WHERE last_briefed_at IS NOT NULL")
    # A claim in flight keeps its lease from its claim time; settled rows count their part as posted.
    op.execute("UPDATE deliveries SET heartbeat_at = claimed_at, generation = attempts")
    op.execute("UPDATE deliveries SET parts_posted = 1 WHERE message_ts IS NOT NULL")

    # Subscriptions made before their channel row existed get one with the defaults, as delivery used
    # to make on the fly; only then can every subscription point at its channel.
    op.execute(
        """
        INSERT INTO channels (team_id, channel_id, is_dm, briefing_time, timezone, post_when_empty, themes,
                              created_at)
        SELECT s.team_id, s.channel_id, MAX(CASE WHEN s.is_dm THEN 1 ELSE 0 END) = 1, '08:00', NULL,
               true, '[]', MIN(s.created_at)
        FROM subscriptions s
        WHERE NOT EXISTS (
            SELECT 1 FROM channels c WHERE c.team_id = s.team_id AND c.channel_id = s.channel_id
        )
        GROUP BY s.team_id, s.channel_id
        """
    )
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f('fk_subscriptions_team_id_channels'),
            'channels',
            ['team_id', 'channel_id'],
            ['team_id', 'channel_id'],
            ondelete='CASCADE',
        )


def downgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_subscriptions_team_id_channels'), type_='foreignkey')

    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_column('covered_until')
        batch_op.drop_column('posting_part')
        batch_op.drop_column('parts_posted')
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('generation')

    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.drop_column('joined_at')
        batch_op.drop_column('user_tz_checked_at')
        batch_op.drop_column('user_tz')
        batch_op.drop_column('covered_until')
