"""The Messages tab: what a user types in the app's DM is answered like `/news` with the same words.

`화웨이` gives the company's news and `삼성전자 구독` … subscribes, posted into the DM with chat.postMessage
(a DM message has no response URL). Only a person's new messages are answered: the bot's own posts,
other bots' (`bot_id`), edits, deletions and every other subtype are ignored, so the app never talks to
itself.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot import answers
from bot.commands import work_out, workspace_of
from bot.deps import deps_of
from bot.replies import post_checked

log = logging.getLogger(__name__)

COMMAND_PREFIX = "/news"


def is_person_writing(event: dict[str, Any], bot_user_id: str | None) -> bool:
    """A new message a person typed in a DM with the app (not an edit, a bot, or the app itself)."""
    if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
        return False
    user = event.get("user")
    return bool(user) and user != bot_user_id and isinstance(event.get("text"), str)


def dm_text(text: str) -> str:
    """The words of a DM as `/news` would get them (a pasted `/news 화웨이` works too)."""
    text = text.strip()
    if text.casefold().startswith(COMMAND_PREFIX):
        text = text[len(COMMAND_PREFIX) :]
    return text


def on_message(event: dict[str, Any], body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    if not is_person_writing(event, context.bot_user_id):
        return
    channel = str(event.get("channel", ""))
    # A message typed in a thread of the DM is answered in that thread.
    where: dict[str, Any] = {"thread_ts": event["thread_ts"]} if event.get("thread_ts") else {}
    try:
        command = answers.parse_command(dm_text(str(event["text"])))
    except answers.InputError as exc:
        post_checked(client, channel=channel, text=str(exc), **where)
        return
    text, blocks = work_out(
        deps_of(context),
        client,
        command,
        team_id=workspace_of(context, body),
        channel_id=channel,
        channel_name="directmessage",
        user_id=str(event["user"]),
        enterprise_id=context.enterprise_id,
    )
    post_checked(
        client, channel=channel, text=text, blocks=blocks, unfurl_links=False, unfurl_media=False, **where
    )


def register(app: App) -> None:
    # Every message event is taken (and so acknowledged), the ones not for us are dropped inside.
    app.event("message")(on_message)
