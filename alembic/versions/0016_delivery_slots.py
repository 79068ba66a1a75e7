"""delivery slots: a channel may have two briefings a day, each claimed once

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _keeping_shown_stories(change: Callable[[], None]) -> None:
    """SQLite changes a constraint by copying the table and dropping the old one, and with foreign keys
    on, that drop deletes the rows that point at it (`shown_stories`, ON DELETE CASCADE): keep them
    aside and put them back. Delivery ids are copied as they are, so the rows still match."""
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        op.execute("CREATE TEMP TABLE shown_stories_kept AS SELECT * FROM shown_stories")
    change()
    if sqlite:
        op.execute("INSERT INTO shown_stories SELECT * FROM shown_stories_kept")
        op.execute("DROP TABLE shown_stories_kept")


def upgrade() -> None:
    # Every briefing so far was its day's only one: slot 0.
    def change() -> None:
        with op.batch_alter_table('deliveries', schema=None) as batch_op:
            batch_op.add_column(sa.Column('slot', sa.Integer(), server_default=sa.text('0'), nullable=False))
            batch_op.drop_constraint('uq_deliveries_team_id_channel_id_briefing_date', type_='unique')
            batch_op.create_unique_constraint(
                batch_op.f('uq_deliveries_team_id_channel_id_briefing_date_slot'),
                ['team_id', 'channel_id', 'briefing_date', 'slot'],
            )

    _keeping_shown_stories(change)


def downgrade() -> None:
    # A second slot has no place in a table of one briefing a day.
    op.execute("DELETE FROM deliveries WHERE slot <> 0")

    def change() -> None:
        with op.batch_alter_table('deliveries', schema=None) as batch_op:
            batch_op.drop_constraint('uq_deliveries_team_id_channel_id_briefing_date_slot', type_='unique')
            batch_op.create_unique_constraint(
                batch_op.f('uq_deliveries_team_id_channel_id_briefing_date'),
                ['team_id', 'channel_id', 'briefing_date'],
            )
            batch_op.drop_column('slot')

    _keeping_shown_stories(change)
