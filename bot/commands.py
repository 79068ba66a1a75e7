"""`/news`: acknowledged at once, answered ephemerally through the response URL.

Bad input is answered in the acknowledgement itself (no database work needed); everything else is
acknowledged first and answered right after in the same Bolt listener thread, so Slack's 3-second
limit is never at risk. Whatever goes wrong after the acknowledgement, the user still gets a short
Korean apology, and an answer Slack refuses is replaced by its plain text (`bot.replies`).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import answers
from bot import blocks as bk
from bot.deps import BotDeps, deps_of
from bot.replies import respond_checked

log = logging.getLogger(__name__)


def workspace_of(context: BoltContext, body: dict[str, Any]) -> str:
    """The workspace every read and write is scoped to (the org for an org-wide install)."""
    team = context.team_id or body.get("team_id") or (body.get("team") or {}).get("id")
    if not team:
        team = context.enterprise_id or body.get("enterprise_id") or ""
    return str(team)


def is_dm_channel(channel_id: str, channel_name: str | None) -> bool:
    return channel_name == "directmessage" or channel_id.startswith("D")


def destination(
    client: WebClient, channel_id: str, channel_name: str | None, user_id: str
) -> tuple[str, bool]:
    """Where subscriptions made here are delivered: this channel, or the user's DM with the app."""
    if not is_dm_channel(channel_id, channel_name):
        return channel_id, False
    try:
        opened = client.conversations_open(users=user_id)
        return str(opened["channel"]["id"]), True
    except Exception:  # the DM we are in is still a fine destination
        log.warning("conversations.open failed; keeping %s", channel_id, exc_info=True)
        return channel_id, True


INVITE_HINT = (
    "이 채널은 앱이 글을 올릴 수 없는 비공개 채널입니다. "
    "브리핑을 받으려면 `/invite @Briefings`로 초대해 주세요."
)


def can_post(client: WebClient, channel_id: str) -> bool:
    """Whether briefings can reach the channel: public channels always (chat:write.public), private ones
    only with the app as a member (Slack then answers channel_not_found to conversations.info)."""
    try:
        info = client.conversations_info(channel=channel_id)["channel"]
    except SlackApiError as exc:
        return bool(exc.response.get("error") != "channel_not_found")
    except Exception:  # unknown: do not alarm the user
        return True
    return bool(info.get("is_member", True)) or not info.get("is_private", False)


def work_out(
    deps: BotDeps,
    client: WebClient,
    command: answers.Command,
    *,
    team_id: str,
    channel_id: str,
    channel_name: str | None,
    user_id: str,
    enterprise_id: str | None = None,
) -> answers.Answer:
    """The answer to a command wherever it was typed (`/news`, the app's DM); never raises.

    A bad argument is answered with its one-line explanation and anything unexpected with an apology,
    both as plain text (no blocks).
    """
    from bot.deliver import message_permalinks  # bot.deliver's blocks build on this module

    try:
        dest, is_dm = destination(client, channel_id, channel_name, user_id)
        with deps.session() as session:
            text, blocks = answers.run_command(
                deps,
                session,
                command,
                team_id=team_id,
                channel_id=dest,
                user_id=user_id,
                is_dm=is_dm,
                enterprise_id=enterprise_id,
                permalink=message_permalinks(client),
            )
        if command.action == "subscribe" and not is_dm and not can_post(client, dest):
            blocks = blocks + bk.notice(INVITE_HINT)
    except answers.InputError as exc:
        return str(exc), []
    except Exception:
        log.exception("answer to %s failed", command.action)
        return answers.APOLOGY, []
    return text, blocks


def news(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext) -> None:
    """`/news …`: bad input is answered in the acknowledgement; the rest right after it, ephemerally."""
    try:
        command = answers.parse_command(body.get("text"))
    except answers.InputError as exc:
        ack(response_type="ephemeral", text=str(exc))
        return
    ack()
    text, blocks = work_out(
        deps_of(context),
        client,
        command,
        team_id=workspace_of(context, body),
        channel_id=str(body.get("channel_id", "")),
        channel_name=body.get("channel_name"),
        user_id=str(body.get("user_id", "")),
        enterprise_id=context.enterprise_id,
    )
    respond_checked(respond, response_type="ephemeral", text=text, blocks=blocks)


def register(app: App) -> None:
    app.command("/news")(news)
