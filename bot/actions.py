"""Buttons on `/news` answers and in App Home: 구독 / 구독 해지, 채널에 공유, 더 보기, candidates, 해지.

Each button carries a small JSON value (company id, page offset, days) that is re-validated here:
an interaction payload is signed by Slack, but its values still come from a message we cannot
fully trust (an old message, a hand-edited payload), so ids are looked up again in the request's
own workspace and offsets are clamped. Action ids are `kind` or `kind:key` (unique within a block, as
Slack requires); each listener is registered for its kind's pattern.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import answers
from bot import blocks as bk
from bot.commands import destination, is_dm_channel, workspace_of
from bot.deps import BotDeps, deps_of
from bot.replies import post_checked, respond_checked

log = logging.getLogger(__name__)

NOT_IN_CHANNEL = (
    "Briefings 앱이 이 채널에 없어 공유하지 못했습니다. `/invite @Briefings` 후 다시 시도해 주세요."
)
SHARE_ERRORS = {
    "not_in_channel": NOT_IN_CHANNEL,
    "channel_not_found": NOT_IN_CHANNEL,
    "is_archived": "보관된 채널에는 공유할 수 없습니다.",
    "restricted_action": "이 채널에는 앱이 메시지를 올릴 수 없습니다.",
}


def _value(body: dict[str, Any]) -> dict[str, Any]:
    actions = body.get("actions") or [{}]
    return bk.decode_value(actions[0].get("value"))


def _int(value: object, default: int, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        return default
    return max(low, min(high, value))


def _channel(body: dict[str, Any]) -> tuple[str, str | None]:
    channel = body.get("channel") or {}
    container = body.get("container") or {}
    return str(channel.get("id") or container.get("channel_id") or ""), channel.get("name")


PAGE_KINDS = {bk.SUBSCRIBE: "subscribe", bk.UNSUBSCRIBE: "unsubscribe", bk.MORE: "more", bk.PICK: "pick"}


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id", ""))


def _page(
    deps: BotDeps, body: dict[str, Any], client: WebClient, context: BoltContext, kind: str
) -> tuple[str, list[bk.BlockDict]] | None:
    """The redrawn page after a button of `kind`; None when the button names no company we know."""
    from bot.deliver import message_permalinks  # bot.deliver's blocks build on this module

    team_id, user_id, value = workspace_of(context, body), _user(body), _value(body)
    channel_id, channel_name = _channel(body)
    dest, is_dm = channel_id, is_dm_channel(channel_id, channel_name)
    if is_dm:
        dest, is_dm = destination(client, channel_id, channel_name, user_id)
    with deps.session() as session:
        company = answers.company_by_id(deps, session, value.get("c"))
        if company is None:
            return None
        days = _int(value.get("d"), deps.days, 1, 30)
        offset = _int(value.get("o"), 0, 0, 500) if kind == "more" else 0
        note = None
        if kind == "subscribe":
            note = answers.do_subscribe(
                deps,
                session,
                company,
                team_id=team_id,
                channel_id=dest,
                user_id=user_id,
                is_dm=is_dm,
                enterprise_id=context.enterprise_id,
            )
        elif kind == "unsubscribe":
            note = answers.do_unsubscribe(deps, session, company, team_id=team_id, channel_id=dest)
        return answers.company_page(
            deps,
            session,
            company,
            team_id=team_id,
            channel_id=dest,
            offset=offset,
            days=days,
            notice=note,
            permalink=message_permalinks(client),
        )


def on_page_button(
    ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
) -> None:
    """구독 / 구독 해지 / 더 보기 / a candidate: each redraws the page; only what they change differs."""
    ack()
    action = str(((body.get("actions") or [{}])[0]).get("action_id", ""))
    kind = PAGE_KINDS.get(bk.action_kind(action), "pick")
    try:
        page = _page(deps_of(context), body, client, context, kind)
    except Exception:
        log.exception("button %s failed", kind)
        respond_checked(respond, response_type="ephemeral", replace_original=False, text=answers.APOLOGY)
        return
    if page is None:
        respond_checked(respond, response_type="ephemeral", replace_original=False, text=UNKNOWN_COMPANY)
        return
    text, blocks = page
    respond_checked(respond, response_type="ephemeral", replace_original=True, text=text, blocks=blocks)


UNKNOWN_COMPANY = "회사를 찾지 못했습니다. `/news`로 다시 찾아 주세요."


def on_share(
    ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient, context: BoltContext
) -> None:
    """채널에 공유: the same page, without buttons, posted visibly where the button was pressed."""
    ack()
    deps = deps_of(context)

    def tell(text: str) -> None:
        respond_checked(respond, response_type="ephemeral", replace_original=False, text=text)

    try:
        value = _value(body)
        channel_id, _ = _channel(body)
        with deps.session() as session:
            company = answers.company_by_id(deps, session, value.get("c"))
            if company is None:
                tell(UNKNOWN_COMPANY)
                return
            text, blocks = answers.company_page(
                deps,
                session,
                company,
                team_id=workspace_of(context, body),
                channel_id=None,
                offset=_int(value.get("o"), 0, 0, 500),
                days=_int(value.get("d"), deps.days, 1, 30),
                interactive=False,
                shared_by=_user(body),
            )
        post_checked(
            client, channel=channel_id, text=text, blocks=blocks, unfurl_links=False, unfurl_media=False
        )
    except SlackApiError as exc:
        error = str(exc.response.get("error", "")) if exc.response is not None else ""
        log.warning("share failed: %s", error)
        tell(SHARE_ERRORS.get(error, answers.APOLOGY))
        return
    except Exception:
        log.exception("share failed")
        tell(answers.APOLOGY)
        return
    tell("채널에 공유했습니다.")


def register(app: App) -> None:
    for kind in PAGE_KINDS:
        app.action(bk.action_pattern(kind))(on_page_button)
    app.action(bk.action_pattern(bk.SHARE))(on_share)
