"""`briefings db upgrade`: the only way the schema is made."""

from __future__ import annotations

import typer
from alembic.util import CommandError

from briefings.cli.common import UserError, console, db_session, settings
from briefings.companies import seed_if_needed
from briefings.db import upgrade
from briefings.timeutil import utcnow

db_app = typer.Typer(help="데이터베이스 스키마", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade_cmd(revision: str = typer.Argument("head", help="목표 리비전")) -> None:
    """마이그레이션을 적용해 스키마를 최신으로 만듭니다."""
    try:
        upgrade(settings().db_url, revision)
    except CommandError:
        shown = revision if len(revision) <= 40 else revision[:39] + "…"
        raise UserError(f"알 수 없는 리비전입니다: {shown!r} (`head` 또는 alembic/versions의 번호)") from None
    if revision != "head":
        console.print(f"데이터베이스 스키마: {revision}")
        return
    # The packaged company registry is reference data: a release that adds companies brings them here.
    with db_session() as session:
        seeded = seed_if_needed(session, now=utcnow())
    extra = f" 회사 레지스트리 {seeded}건 반영." if seeded else ""
    console.print(f"데이터베이스 스키마가 최신입니다.{extra}")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
