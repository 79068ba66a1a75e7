"""Socket Mode: the app connects out to Slack over a WebSocket, so no public URL is needed."""

from __future__ import annotations

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.tokens import ConfigError, make_client
from briefings.config import Settings


def socket_mode_handler(app: App, settings: Settings) -> SocketModeHandler:
    if not settings.slack_app_token:
        raise ConfigError("Socket Mode에는 SLACK_APP_TOKEN(xapp-…)이 필요합니다.")
    # apps.connections.open goes through SLACK_API_URL with the same retry handlers as every call.
    client = make_client(settings, settings.slack_app_token)
    return SocketModeHandler(app, settings.slack_app_token, web_client=client)


def start_socket_mode(app: App, settings: Settings, *, block: bool = True) -> SocketModeHandler:
    """Connect and serve; with `block=False` returns at once (call `.close()` to stop)."""
    handler = socket_mode_handler(app, settings)
    if block:
        handler.start()  # type: ignore[no-untyped-call]
    else:
        handler.connect()  # type: ignore[no-untyped-call]
    return handler
