"""article story lookups: PostgreSQL reads the article <-> story links from indexes alone

A search without a company turns each posting's article into its story and checks a story's
articles; with both columns in these indexes PostgreSQL no longer reads each article's row.
SQLite is left as it is: its rowid table and (story_id) index already hold both columns.

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.create_index('ix_articles_id_story_id', 'articles', ['id'], postgresql_include=['story_id'])
    op.drop_index('ix_articles_story_id', table_name='articles')
    op.create_index('ix_articles_story_id', 'articles', ['story_id'], postgresql_include=['id'])


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.drop_index('ix_articles_story_id', table_name='articles')
    op.create_index('ix_articles_story_id', 'articles', ['story_id'])
    op.drop_index('ix_articles_id_story_id', table_name='articles')
