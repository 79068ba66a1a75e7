"""spike alerts: one claim per company, channel and day; a sensitivity per channel

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('alert_sensitivity', sa.String(length=8), server_default='보통', nullable=False))
    op.create_table('alert_claims',
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('alert_date', sa.Date(), nullable=False),
    sa.Column('stories', sa.Integer(), nullable=False),
    sa.Column('expected', sa.Float(), nullable=False),
    sa.Column('p_value', sa.Float(), nullable=False),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('enterprise_id', sa.String(length=32), nullable=True),
    sa.Column('channel_id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claimed_at', sa.DateTime(), nullable=True),
    sa.Column('generation', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
    sa.Column('parts_posted', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('posting_part', sa.Integer(), nullable=True),
    sa.Column('posted_at', sa.DateTime(), nullable=True),
    sa.Column('message_ts', sa.String(length=32), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_alert_claims_company_id_companies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_claims')),
    sa.UniqueConstraint('team_id', 'channel_id', 'company_id', 'alert_date', name=op.f('uq_alert_claims_team_id_channel_id_company_id_alert_date'))
    )
    with op.batch_alter_table('alert_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_claims_alert_date'), ['alert_date'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('alert_claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_claims_alert_date'))
    op.drop_table('alert_claims')
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.drop_column('alert_sensitivity')
