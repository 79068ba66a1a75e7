"""`briefings token-key`: a new key for SLACK_TOKEN_KEY (Slack tokens encrypted at rest)."""

from __future__ import annotations

import typer


def token_key() -> None:
    """SLACK_TOKEN_KEY로 쓸 새 암호화 키를 출력합니다 (Slack 토큰을 암호화해 저장)."""
    from bot.encrypted_store import new_key

    typer.echo(new_key())


def register(app: typer.Typer) -> None:
    app.command("token-key")(token_key)
