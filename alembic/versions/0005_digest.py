"""digest at scale: article errors, shared digest state, job leases, partial pending index

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PENDING = sa.text("digested_at IS NULL AND digest_error IS NULL")


def upgrade() -> None:
    op.create_table('digest_state',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('seq', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_digest_state'))
    )
    op.execute("INSERT INTO digest_state (name, seq) VALUES ('stories', 0)")
    op.create_table('job_leases',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('holder', sa.String(length=64), nullable=True),
    sa.Column('expires_at', sa.DateTime(), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_job_leases'))
    )
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digest_error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('digest_seq', sa.BigInteger(), nullable=True))
        batch_op.create_index(batch_op.f('ix_articles_digest_seq'), ['digest_seq'], unique=False)
        batch_op.drop_index('ix_articles_digested_at')
    op.create_index(
        'ix_articles_pending', 'articles', ['published_at', 'id'], unique=False,
        sqlite_where=_PENDING, postgresql_where=_PENDING,
    )


def downgrade() -> None:
    op.drop_index('ix_articles_pending', table_name='articles')
    with op.batch_alter_table('articles', schema=None) as batch_op:
        batch_op.create_index('ix_articles_digested_at', ['digested_at'], unique=False)
        batch_op.drop_index(batch_op.f('ix_articles_digest_seq'))
        batch_op.drop_column('digest_seq')
        batch_op.drop_column('digest_error')
    op.drop_table('job_leases')
    op.drop_table('digest_state')
