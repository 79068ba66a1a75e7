"""stories: index on the follow-up link, so a story page finds the stories that develop it

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_stories_follow_up_of_id", "stories", ["follow_up_of_id"])


def downgrade() -> None:
    op.drop_index("ix_stories_follow_up_of_id", table_name="stories")
