"""The bot scopes the app asks for, each with what needs it: one table for the manifest, OAuth and tests.

A scope is asked for only when a Web API method the app calls (or an event it listens to) needs it;
`tests/bot/test_manifest_and_cli.py` checks the table against `manifest.yml` and against the calls in
the code, in both directions.
"""

from __future__ import annotations

from typing import NamedTuple


class Scope(NamedTuple):
    why: str
    # Web API methods (`chat.postMessage`) and events (`event:message.im`) that need the scope.
    needed_by: tuple[str, ...]


SCOPES: dict[str, Scope] = {
    "commands": Scope("the /news slash command", ("command:/news",)),
    "chat:write": Scope(
        "answers, shared answers, DM answers and briefings", ("chat.postMessage", "chat.postEphemeral")
    ),
    "chat:write.public": Scope(
        "briefings and shares in public channels the app was not invited to", ("chat.postMessage",)
    ),
    "channels:join": Scope(
        "joining a public channel before its first briefing, so its history can be read",
        ("conversations.join",),
    ),
    "im:write": Scope("the user's DM with the app, for personal subscriptions", ("conversations.open",)),
    "channels:read": Scope(
        "whether a public channel can receive briefings; a user's channels for App Home",
        ("conversations.info", "users.conversations"),
    ),
    "groups:read": Scope(
        "the same for private channels the app was invited to", ("conversations.info", "users.conversations")
    ),
    "users:read": Scope("a user's time zone, for DM briefings at their own hour", ("users.info",)),
    "channels:history": Scope(
        "finding a briefing already posted after a crash (public channels)",
        ("conversations.history", "conversations.replies"),
    ),
    "groups:history": Scope(
        "the same in private channels", ("conversations.history", "conversations.replies")
    ),
    "files:write": Scope(
        "coverage charts uploaded as PNG files when no public URL serves them",
        ("files.getUploadURLExternal", "files.completeUploadExternal"),
    ),
    "im:history": Scope(
        "the Messages tab (message.im) and crash recovery of DM briefings",
        ("event:message.im", "conversations.history"),
    ),
}

BOT_SCOPES: list[str] = list(SCOPES)

# Web API methods the app calls that Slack documents as needing no scope, with what calls them.
NO_SCOPE: dict[str, str] = {
    "views.publish": "App Home",
    "chat.getPermalink": "a follow-up's link to the earlier briefing message that showed its story",
}
