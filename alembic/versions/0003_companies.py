"""companies: one ticker per market, and the registry's version and seeded-file hash

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    state = op.create_table(
        "registry_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registry_state")),
    )
    # An empty hash: the next `db upgrade` or digest seeds the data file once, adding new aliases.
    op.bulk_insert(state, [{"id": 1, "version": 1, "content_hash": ""}])
    # A second company given an existing ticker in its market loses that ticker (the first keeps it),
    # so the constraint can be created on a database made before it.
    op.execute(
        "UPDATE companies SET ticker = NULL WHERE id IN ("
        " SELECT c.id FROM companies c JOIN companies d"
        " ON c.market = d.market AND c.ticker = d.ticker AND d.id < c.id)"
    )
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f("uq_companies_market_ticker"), ["market", "ticker"])


def downgrade() -> None:
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_companies_market_ticker"), type_="unique")
    op.drop_table("registry_state")
