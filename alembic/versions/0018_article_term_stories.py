"""article term stories: each posting carries its article's story

A search checks story by story whether one of its articles carries a term. With the story in the
postings PostgreSQL answers that with one probe of (term, story_id) instead of one per article, and
turns a word's postings into stories from the primary key alone (it includes story_id). SQLite gets
the column (the digester writes one schema) but no new index: its plans read articles as before.

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('article_terms', sa.Column('story_id', sa.BigInteger(), nullable=True))
    pg = op.get_bind().dialect.name == 'postgresql'
    if pg:  # one hash join, not a subquery per posting
        op.execute(
            'UPDATE article_terms SET story_id = articles.story_id FROM articles '
            'WHERE articles.id = article_terms.article_id AND articles.story_id IS NOT NULL'
        )
    else:
        op.execute(
            'UPDATE article_terms SET story_id = '
            '(SELECT articles.story_id FROM articles WHERE articles.id = article_terms.article_id)'
        )
    if not pg:
        return
    op.execute(
        'ALTER TABLE article_terms DROP CONSTRAINT pk_article_terms, '
        'ADD CONSTRAINT pk_article_terms PRIMARY KEY (term, article_id) INCLUDE (story_id)'
    )
    op.create_index(
        'ix_article_terms_term_story_id',
        'article_terms',
        ['term', 'story_id'],
        postgresql_include=['article_id'],
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_article_terms_term_story_id', table_name='article_terms')
        op.execute(
            'ALTER TABLE article_terms DROP CONSTRAINT pk_article_terms, '
            'ADD CONSTRAINT pk_article_terms PRIMARY KEY (term, article_id)'
        )
    with op.batch_alter_table('article_terms') as batch:
        batch.drop_column('story_id')
