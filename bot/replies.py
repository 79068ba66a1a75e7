"""Answers that are checked: a refusal by Slack is logged with Slack's reason and replaced by plain text.

Slack refuses a whole message for one bad block (`invalid_blocks`), and Bolt's `respond()` returns the
refusal instead of raising it, so an unchecked answer fails silently. Every answer goes through here:
the user always gets at least the text of the answer, and the log says what Slack objected to. Logs name
Slack's error and its details, never a token or a response URL (both are credentials).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.limits import SECTION_TEXT
from bot.render import cut_lines

log = logging.getLogger(__name__)

# Errors that mean "this payload", not "this channel": answering again without blocks can succeed.
PAYLOAD_ERRORS = frozenset(
    {"invalid_blocks", "invalid_blocks_format", "invalid_arguments", "no_text", "msg_too_long"}
)


def plain_text(text: str, blocks: Sequence[dict[str, Any]] | None) -> str:
    """The answer as one mrkdwn text: the texts of its blocks in order (buttons dropped), or `text`."""
    lines: list[str] = []
    for block in blocks or ():
        parts = [block.get("text"), *(block.get("fields") or [])]
        if block.get("type") == "context":
            parts = list(block.get("elements") or [])
        for part in parts:
            if isinstance(part, dict) and isinstance(part.get("text"), str) and part["text"].strip():
                lines.append(part["text"])
    return cut_lines(lines, SECTION_TEXT) or text


def _list(blocks: Sequence[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    return list(blocks) if blocks else None


def _slack_reason(error: SlackApiError) -> str:
    data = error.response.data if error.response is not None else None
    if not isinstance(data, dict):
        return "unknown"
    details = data.get("errors") or (data.get("response_metadata") or {}).get("messages") or []
    return f"{data.get('error', 'unknown')} {list(details)[:5]}"


def respond_checked(
    respond: Respond,
    *,
    text: str,
    blocks: Sequence[dict[str, Any]] | None = None,
    **options: Any,
) -> bool:
    """Answer through the response URL; True when Slack took the answer as built.

    A refused answer (HTTP 400: Slack names the problem) is logged and sent again as plain text (the
    same options, no blocks), so the user sees the answer's content rather than nothing.
    """
    try:
        sent = respond(text=text, blocks=_list(blocks), **options)
    except Exception:
        log.exception("response_url post failed")
        return False
    if sent.status_code == 200:
        return True
    log.warning("Slack refused a response_url answer (HTTP %s): %s", sent.status_code, sent.body[:500])
    if sent.status_code != 400 or not blocks:  # an expired URL or an outage: a second try fails the same
        return False
    try:
        again = respond(text=plain_text(text, blocks), **options)
    except Exception:
        log.exception("plain-text answer failed")
        return False
    if again.status_code != 200:
        log.error(
            "Slack refused the plain-text answer too (HTTP %s): %s", again.status_code, again.body[:500]
        )
    return False


def post_checked(
    client: WebClient,
    *,
    channel: str,
    text: str,
    blocks: Sequence[dict[str, Any]] | None = None,
    **options: Any,
) -> bool:
    """chat.postMessage; True when posted as built.

    A payload refusal is logged and the message is posted again as plain text; any other Slack error
    (not_in_channel, channel_not_found…) is raised for the caller to explain.
    """
    try:
        client.chat_postMessage(
            channel=channel, text=text, blocks=list(blocks) if blocks else None, **options
        )
        return True
    except SlackApiError as exc:
        if exc.response is None or exc.response.get("error") not in PAYLOAD_ERRORS:
            raise
        log.warning("Slack refused a message to %s: %s", channel, _slack_reason(exc))
    client.chat_postMessage(channel=channel, text=plain_text(text, blocks), **options)
    return False


def publish_checked(client: WebClient, *, user_id: str, view: dict[str, Any], fallback: str) -> bool:
    """views.publish; a refused view is logged and replaced by one section of plain text."""
    try:
        client.views_publish(user_id=user_id, view=view)
        return True
    except SlackApiError as exc:
        if exc.response is None or exc.response.get("error") not in PAYLOAD_ERRORS:
            raise
        log.warning("Slack refused the App Home view: %s", _slack_reason(exc))
    text = plain_text(fallback, view.get("blocks"))
    plain = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}
    client.views_publish(user_id=user_id, view=plain)
    return False
