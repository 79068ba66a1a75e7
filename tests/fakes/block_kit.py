"""Slack's published Block Kit rules, as the fake Slack applies them to every payload it receives.

Written from Slack's reference pages (blocks, block elements, composition objects, surfaces), not from
the app's own builders, so the app's payloads are judged by an independent reading of the rules. Where
Slack's pages disagree with each other (the overflow menu's option count), the stricter reading wins;
where Slack only warns (blocks without a `text` fallback), the fake refuses.

Every problem is reported the way Slack words it in `errors`: a message and a JSON pointer,
``must be at most 75 characters [json-pointer:/blocks/2/elements/0/text/text]``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Surfaces and their block budgets.
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
MESSAGE_TEXT = 40_000  # chat.postMessage's `text`; longer is `msg_too_long`
ID_MAX = 255  # block_id, action_id, callback_id, external_id

BLOCK_FIELDS: dict[str, set[str]] = {
    "section": {"text", "fields", "accessory", "expand"},
    "divider": set(),
    "header": {"text"},
    "context": {"elements"},
    "actions": {"elements"},
    "image": {"image_url", "slack_file", "alt_text", "title"},
    "input": {"label", "element", "dispatch_action", "hint", "optional"},
    "rich_text": {"elements"},
    "markdown": {"text"},
    "video": {
        "alt_text",
        "author_name",
        "description",
        "provider_icon_url",
        "provider_name",
        "title",
        "title_url",
        "thumbnail_url",
        "video_url",
    },
    "file": {"external_id", "source"},
    # docs.slack.dev/reference/block-kit/blocks/context-actions-block: feedback and icon buttons.
    "context_actions": {"elements"},
}
SURFACE_BLOCKS: dict[str, set[str]] = {
    "message": set(BLOCK_FIELDS),
    # Slack shows context actions on messages only (its pages name no other surface): refused elsewhere.
    "home": set(BLOCK_FIELDS) - {"file", "context_actions"},
    "modal": set(BLOCK_FIELDS) - {"file", "context_actions"},
}

_SELECTS = {
    "static_select",
    "external_select",
    "users_select",
    "conversations_select",
    "channels_select",
}
_MULTI_SELECTS = {"multi_" + s for s in _SELECTS}
_TEXT_INPUTS = {
    "plain_text_input",
    "email_text_input",
    "url_input",
    "number_input",
    "rich_text_input",
    "file_input",
}
ACTIONS_ELEMENTS = {
    "button",
    "checkboxes",
    "datepicker",
    "datetimepicker",
    "overflow",
    "radio_buttons",
    "timepicker",
    "workflow_button",
    *_SELECTS,
    *_MULTI_SELECTS,
}
ACCESSORY_ELEMENTS = (ACTIONS_ELEMENTS - {"datetimepicker"}) | {"image"}
INPUT_ELEMENTS = (ACTIONS_ELEMENTS - {"button", "overflow", "workflow_button"}) | _TEXT_INPUTS
CONTEXT_ACTIONS_ELEMENTS = {"feedback_buttons", "icon_button"}

_COMMON_ELEMENT = {"type", "action_id"}
_SELECT_FIELDS = {"placeholder", "confirm", "focus_on_load"}
ELEMENT_FIELDS: dict[str, set[str]] = {
    "button": {"text", "url", "value", "style", "confirm", "accessibility_label"},
    "overflow": {"options", "confirm"},
    "feedback_buttons": {"positive_button", "negative_button"},
    "icon_button": {"icon", "text", "value", "confirm", "accessibility_label", "visible_to_user_ids"},
    "static_select": _SELECT_FIELDS | {"options", "option_groups", "initial_option"},
    "multi_static_select": _SELECT_FIELDS
    | {"options", "option_groups", "initial_options", "max_selected_items"},
    "external_select": _SELECT_FIELDS | {"initial_option", "min_query_length"},
    "multi_external_select": _SELECT_FIELDS | {"initial_options", "min_query_length", "max_selected_items"},
    "users_select": _SELECT_FIELDS | {"initial_user"},
    "multi_users_select": _SELECT_FIELDS | {"initial_users", "max_selected_items"},
    "conversations_select": _SELECT_FIELDS
    | {"initial_conversation", "default_to_current_conversation", "response_url_enabled", "filter"},
    "multi_conversations_select": _SELECT_FIELDS
    | {"initial_conversations", "default_to_current_conversation", "max_selected_items", "filter"},
    "channels_select": _SELECT_FIELDS | {"initial_channel", "response_url_enabled"},
    "multi_channels_select": _SELECT_FIELDS | {"initial_channels", "max_selected_items"},
    "checkboxes": {"options", "initial_options", "confirm", "focus_on_load"},
    "radio_buttons": {"options", "initial_option", "confirm", "focus_on_load"},
    "datepicker": {"initial_date", "confirm", "focus_on_load", "placeholder"},
    "timepicker": {"initial_time", "confirm", "focus_on_load", "placeholder", "timezone"},
    "datetimepicker": {"initial_date_time", "confirm", "focus_on_load"},
    "workflow_button": {"text", "workflow", "style", "accessibility_label"},
    "plain_text_input": {
        "initial_value",
        "multiline",
        "min_length",
        "max_length",
        "dispatch_action_config",
        "focus_on_load",
        "placeholder",
    },
    "email_text_input": {"initial_value", "dispatch_action_config", "focus_on_load", "placeholder"},
    "url_input": {"initial_value", "dispatch_action_config", "focus_on_load", "placeholder"},
    "number_input": {
        "is_decimal_allowed",
        "initial_value",
        "min_value",
        "max_value",
        "dispatch_action_config",
        "focus_on_load",
        "placeholder",
    },
    "rich_text_input": {"initial_value", "dispatch_action_config", "focus_on_load", "placeholder"},
    "file_input": {"filetypes", "max_files"},
}
VIEW_FIELDS = {
    "type",
    "blocks",
    "private_metadata",
    "callback_id",
    "external_id",
    "title",
    "close",
    "submit",
    "clear_on_close",
    "notify_on_close",
    "submit_disabled",
}

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass
class Problems:
    """The problems found so far, each with the JSON pointer of the offending field."""

    errors: list[str] = field(default_factory=list)

    def add(self, path: str, message: str) -> None:
        self.errors.append(f"{message} [json-pointer:{path}]")

    def __bool__(self) -> bool:
        return bool(self.errors)


# --- small checks ---------------------------------------------------------------------------------


def _extra_fields(p: Problems, obj: Mapping[str, Any], allowed: Iterable[str], path: str) -> None:
    for key in obj:
        if key not in allowed:
            p.add(f"{path}/{key}", f"invalid additional property: {key}")


def _present(p: Problems, value: Any, path: str, required: bool) -> bool:
    """Whether there is a value to check; a missing required one is a problem."""
    if value is None and required:
        p.add(path, "missing required field")
    return value is not None


def _string(
    p: Problems, value: Any, path: str, *, max_len: int, min_len: int = 1, required: bool = False
) -> None:
    if not _present(p, value, path, required):
        return
    if not isinstance(value, str):
        p.add(path, "must be a string")
        return
    if len(value) < min_len:
        p.add(path, f"must be more than {min_len - 1} characters")
    if len(value) > max_len:
        p.add(path, f"must be less than {max_len + 1} characters")


def _bool(p: Problems, obj: Mapping[str, Any], key: str, path: str) -> None:
    if key in obj and not isinstance(obj[key], bool):
        p.add(f"{path}/{key}", "must be a boolean")


def _array(
    p: Problems, value: Any, path: str, *, min_items: int = 1, max_items: int, required: bool = True
) -> list[Any]:
    if not _present(p, value, path, required):
        return []
    if not isinstance(value, list):
        p.add(path, "must be an array")
        return []
    if len(value) < min_items:
        p.add(path, f"must provide at least {min_items} items")
    if len(value) > max_items:
        p.add(path, f"must provide no more than {max_items} items")
    return value


def text_object(
    p: Problems,
    value: Any,
    path: str,
    *,
    max_len: int,
    kinds: tuple[str, ...] = ("plain_text", "mrkdwn"),
    required: bool = True,
) -> None:
    """A composition text object: `plain_text` or `mrkdwn`, non-empty, within its field's limit."""
    if not _present(p, value, path, required):
        return
    if not isinstance(value, dict):
        p.add(path, "must be an object")
        return
    kind = value.get("type")
    if kind not in ("plain_text", "mrkdwn"):
        p.add(f"{path}/type", f"unknown text object type: {kind!r}")
        return
    if kind not in kinds:
        p.add(f"{path}/type", f"must be one of {', '.join(kinds)}")
    _extra_fields(
        p, value, {"type", "text", "emoji"} if kind == "plain_text" else {"type", "text", "verbatim"}, path
    )
    _bool(p, value, "emoji", path)
    _bool(p, value, "verbatim", path)
    _string(p, value.get("text"), f"{path}/text", max_len=max_len, required=True)


def _plain(p: Problems, value: Any, path: str, *, max_len: int, required: bool = True) -> None:
    text_object(p, value, path, max_len=max_len, kinds=("plain_text",), required=required)


def _confirm(p: Problems, value: Any, path: str) -> None:
    if value is None:
        return
    if not isinstance(value, dict):
        p.add(path, "must be an object")
        return
    _extra_fields(p, value, {"title", "text", "confirm", "deny", "style"}, path)
    _plain(p, value.get("title"), f"{path}/title", max_len=100)
    text_object(p, value.get("text"), f"{path}/text", max_len=300)
    _plain(p, value.get("confirm"), f"{path}/confirm", max_len=30)
    _plain(p, value.get("deny"), f"{path}/deny", max_len=30)
    if "style" in value and value["style"] not in ("primary", "danger"):
        p.add(f"{path}/style", "must be one of primary, danger")


def _option(p: Problems, value: Any, path: str, *, url_allowed: bool, mrkdwn_allowed: bool) -> None:
    if not isinstance(value, dict):
        p.add(path, "must be an object")
        return
    allowed = {"text", "value", "description"} | ({"url"} if url_allowed else set())
    _extra_fields(p, value, allowed, path)
    kinds = ("plain_text", "mrkdwn") if mrkdwn_allowed else ("plain_text",)
    text_object(p, value.get("text"), f"{path}/text", max_len=75, kinds=kinds)
    _string(p, value.get("value"), f"{path}/value", max_len=150, required=True)
    text_object(p, value.get("description"), f"{path}/description", max_len=75, kinds=kinds, required=False)
    if url_allowed:
        _string(p, value.get("url"), f"{path}/url", max_len=3000)


def _options(
    p: Problems,
    value: Any,
    path: str,
    *,
    min_items: int,
    max_items: int,
    url_allowed: bool = False,
    mrkdwn_allowed: bool = False,
    required: bool = True,
) -> None:
    items = _array(p, value, path, min_items=min_items, max_items=max_items, required=required)
    values: set[str] = set()
    for i, option in enumerate(items):
        _option(p, option, f"{path}/{i}", url_allowed=url_allowed, mrkdwn_allowed=mrkdwn_allowed)
        if isinstance(option, dict) and isinstance(option.get("value"), str):
            if option["value"] in values:
                p.add(f"{path}/{i}/value", "option values must be unique")
            values.add(option["value"])


# --- elements -------------------------------------------------------------------------------------


def element(p: Problems, value: Any, path: str, *, allowed_types: set[str]) -> None:
    """One interactive element (or an image element) in the place `allowed_types` describes."""
    if not isinstance(value, dict):
        p.add(path, "must be an object")
        return
    kind = value.get("type")
    if kind not in allowed_types:
        p.add(f"{path}/type", f"element type {kind!r} is not allowed here")
        return
    if kind == "image":
        _image_element(p, value, path)
        return
    _extra_fields(p, value, _COMMON_ELEMENT | ELEMENT_FIELDS[kind], path)
    _string(p, value.get("action_id"), f"{path}/action_id", max_len=ID_MAX)
    _confirm(p, value.get("confirm"), f"{path}/confirm")
    _bool(p, value, "focus_on_load", path)
    if "placeholder" in value:
        _plain(p, value["placeholder"], f"{path}/placeholder", max_len=150)
    if kind in ("button", "workflow_button"):
        _plain(p, value.get("text"), f"{path}/text", max_len=75)
        _string(p, value.get("value"), f"{path}/value", max_len=2000)
        _string(p, value.get("url"), f"{path}/url", max_len=3000)
        _string(p, value.get("accessibility_label"), f"{path}/accessibility_label", max_len=75)
        if "style" in value and value["style"] not in ("primary", "danger"):
            p.add(f"{path}/style", "must be one of primary, danger")
    elif kind == "feedback_buttons":
        # Both buttons are required, each a plain_text label (75), a value (2,000), an optional
        # accessibility label (75); the action_id is what the click reports, so the fake requires it.
        _string(p, value.get("action_id"), f"{path}/action_id", max_len=ID_MAX, required=True)
        for side in ("positive_button", "negative_button"):
            bpath = f"{path}/{side}"
            button = value.get(side)
            if not isinstance(button, dict):
                p.add(bpath, "missing required field" if button is None else "must be an object")
                continue
            _extra_fields(p, button, {"text", "value", "accessibility_label"}, bpath)
            _plain(p, button.get("text"), f"{bpath}/text", max_len=75)
            _string(p, button.get("value"), f"{bpath}/value", max_len=2000, required=True)
            _string(p, button.get("accessibility_label"), f"{bpath}/accessibility_label", max_len=75)
    elif kind == "icon_button":
        _string(p, value.get("icon"), f"{path}/icon", max_len=100, required=True)
        _plain(p, value.get("text"), f"{path}/text", max_len=75)
        _string(p, value.get("value"), f"{path}/value", max_len=2000)
        _string(p, value.get("accessibility_label"), f"{path}/accessibility_label", max_len=75)
    elif kind == "overflow":
        _options(p, value.get("options"), f"{path}/options", min_items=2, max_items=5, url_allowed=True)
    elif kind in ("static_select", "multi_static_select"):
        _select_options(p, value, path)
    elif kind in ("checkboxes", "radio_buttons"):
        _options(p, value.get("options"), f"{path}/options", min_items=1, max_items=10, mrkdwn_allowed=True)
    elif kind == "datepicker" and "initial_date" in value:
        if not isinstance(value["initial_date"], str) or not _DATE.match(value["initial_date"]):
            p.add(f"{path}/initial_date", "must be a date in the format YYYY-MM-DD")
    elif kind == "timepicker" and "initial_time" in value:
        if not isinstance(value["initial_time"], str) or not _TIME.match(value["initial_time"]):
            p.add(f"{path}/initial_time", "must be a time in the format HH:mm")
    elif kind == "plain_text_input":
        _bool(p, value, "multiline", path)
        for key in ("min_length", "max_length"):
            if key in value and (not isinstance(value[key], int) or not 0 <= value[key] <= 3000):
                p.add(f"{path}/{key}", "must be an integer between 0 and 3000")
    limit = value.get("max_selected_items", 1)
    if kind.startswith("multi_") and (not isinstance(limit, int) or limit < 1):
        p.add(f"{path}/max_selected_items", "must be at least 1")


def _select_options(p: Problems, value: Mapping[str, Any], path: str) -> None:
    has_options, has_groups = "options" in value, "option_groups" in value
    if has_options == has_groups:
        p.add(path, "exactly one of options or option_groups is required")
    if has_options:
        _options(p, value["options"], f"{path}/options", min_items=1, max_items=100)
    if has_groups:
        groups = _array(p, value["option_groups"], f"{path}/option_groups", max_items=100)
        for i, group in enumerate(groups):
            gpath = f"{path}/option_groups/{i}"
            if not isinstance(group, dict):
                p.add(gpath, "must be an object")
                continue
            _extra_fields(p, group, {"label", "options"}, gpath)
            _plain(p, group.get("label"), f"{gpath}/label", max_len=75)
            _options(p, group.get("options"), f"{gpath}/options", min_items=1, max_items=100)


def _image_element(p: Problems, value: Mapping[str, Any], path: str) -> None:
    _extra_fields(p, value, {"type", "image_url", "slack_file", "alt_text"}, path)
    if ("image_url" in value) == ("slack_file" in value):
        p.add(path, "exactly one of image_url or slack_file is required")
    _string(p, value.get("image_url"), f"{path}/image_url", max_len=3000)
    _string(p, value.get("alt_text"), f"{path}/alt_text", max_len=2000, required=True)


# --- blocks ---------------------------------------------------------------------------------------


def _unique_action_ids(p: Problems, elements: Iterable[Any], path: str) -> None:
    """Slack: an action_id must be unique among the action_ids of its containing block."""
    seen: set[str] = set()
    for i, el in enumerate(elements):
        if not isinstance(el, dict) or not isinstance(el.get("action_id"), str):
            continue
        if el["action_id"] in seen:
            p.add(f"{path}/{i}/action_id", f"duplicate action_id {el['action_id']!r} within a block")
        seen.add(el["action_id"])


def block(p: Problems, value: Any, path: str, *, surface: str) -> None:
    if not isinstance(value, dict):
        p.add(path, "must be an object")
        return
    kind = value.get("type")
    if kind not in BLOCK_FIELDS:
        p.add(f"{path}/type", f"unknown block type: {kind!r}")
        return
    if kind not in SURFACE_BLOCKS[surface]:
        p.add(f"{path}/type", f"block type {kind!r} is not allowed in a {surface}")
        return
    _extra_fields(p, value, {"type", "block_id"} | BLOCK_FIELDS[kind], path)
    _string(p, value.get("block_id"), f"{path}/block_id", max_len=ID_MAX)
    if kind == "section":
        if "text" not in value and "fields" not in value:
            p.add(path, "a section needs text or fields")
        text_object(p, value.get("text"), f"{path}/text", max_len=3000, required=False)
        fields = _array(p, value.get("fields"), f"{path}/fields", max_items=10, required=False)
        for i, f in enumerate(fields):
            text_object(p, f, f"{path}/fields/{i}", max_len=2000)
        if "accessory" in value:
            element(p, value["accessory"], f"{path}/accessory", allowed_types=ACCESSORY_ELEMENTS)
        _bool(p, value, "expand", path)
    elif kind == "header":
        _plain(p, value.get("text"), f"{path}/text", max_len=150)
    elif kind == "context":
        elements = _array(p, value.get("elements"), f"{path}/elements", max_items=10)
        for i, el in enumerate(elements):
            epath = f"{path}/elements/{i}"
            if isinstance(el, dict) and el.get("type") == "image":
                _image_element(p, el, epath)
            else:
                text_object(p, el, epath, max_len=3000)
    elif kind == "actions":
        elements = _array(p, value.get("elements"), f"{path}/elements", max_items=25)
        for i, el in enumerate(elements):
            element(p, el, f"{path}/elements/{i}", allowed_types=ACTIONS_ELEMENTS)
        _unique_action_ids(p, elements, f"{path}/elements")
    elif kind == "context_actions":
        elements = _array(p, value.get("elements"), f"{path}/elements", max_items=5)
        for i, el in enumerate(elements):
            element(p, el, f"{path}/elements/{i}", allowed_types=CONTEXT_ACTIONS_ELEMENTS)
        _unique_action_ids(p, elements, f"{path}/elements")
    elif kind == "image":
        if ("image_url" in value) == ("slack_file" in value):
            p.add(path, "exactly one of image_url or slack_file is required")
        _string(p, value.get("image_url"), f"{path}/image_url", max_len=3000)
        _string(p, value.get("alt_text"), f"{path}/alt_text", max_len=2000, required=True)
        _plain(p, value.get("title"), f"{path}/title", max_len=2000, required=False)
    elif kind == "input":
        _plain(p, value.get("label"), f"{path}/label", max_len=2000)
        _plain(p, value.get("hint"), f"{path}/hint", max_len=2000, required=False)
        if "element" not in value:
            p.add(f"{path}/element", "missing required field")
        else:
            element(p, value["element"], f"{path}/element", allowed_types=INPUT_ELEMENTS)
        _bool(p, value, "optional", path)
        _bool(p, value, "dispatch_action", path)
    elif kind == "rich_text":
        _array(p, value.get("elements"), f"{path}/elements", max_items=1000)
    elif kind == "markdown":
        _string(p, value.get("text"), f"{path}/text", max_len=12_000, required=True)


def blocks(value: Any, path: str = "/blocks", *, surface: str = "message") -> list[str]:
    """Every problem of a `blocks` array on `surface` (message, home or modal)."""
    p = Problems()
    limit = MESSAGE_BLOCKS if surface == "message" else VIEW_BLOCKS
    items = _array(p, value, path, max_items=limit)
    block_ids: set[str] = set()
    for i, b in enumerate(items):
        block(p, b, f"{path}/{i}", surface=surface)
        if isinstance(b, dict) and isinstance(b.get("block_id"), str):
            if b["block_id"] in block_ids:
                p.add(f"{path}/{i}/block_id", f"duplicate block_id {b['block_id']!r}")
            block_ids.add(b["block_id"])
    return p.errors


# --- payloads -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """Why Slack refuses a payload: its error code and the detailed problems."""

    error: str
    errors: tuple[str, ...] = ()


def decoded(value: Any) -> Any:
    """Form-encoded calls carry JSON fields as strings (blocks, view): decode them."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def check_message(args: Mapping[str, Any], *, response_url: bool = False) -> Refusal | None:
    """chat.postMessage / postEphemeral / update, or a response_url body: Slack's refusal, or None."""
    if response_url and args.get("delete_original") in (True, "true"):
        return None
    text = args.get("text")
    raw_blocks = decoded(args.get("blocks"))
    has_blocks = raw_blocks not in (None, "", [])
    if "blocks" in args and not isinstance(raw_blocks, list):
        return Refusal("invalid_blocks_format", ("blocks must be a JSON array [json-pointer:/blocks]",))
    if text is not None and not isinstance(text, str):
        return Refusal("invalid_arguments", ("text must be a string [json-pointer:/text]",))
    if not has_blocks and not args.get("attachments") and not (text or "").strip():
        return Refusal("no_text", ("text is required when there are no blocks [json-pointer:/text]",))
    if has_blocks and not (text or "").strip():
        # Slack only warns (`missing_text_in_blocks`): notifications and screen readers then show
        # nothing. The fake refuses, so the fallback can never be forgotten.
        return Refusal("no_text", ("a text fallback is required with blocks [json-pointer:/text]",))
    if text is not None and len(text) > MESSAGE_TEXT:
        return Refusal(
            "msg_too_long", (f"text is longer than {MESSAGE_TEXT} characters [json-pointer:/text]",)
        )
    if response_url and args.get("response_type") not in (None, "ephemeral", "in_channel"):
        return Refusal("invalid_arguments", ("response_type must be ephemeral or in_channel",))
    if has_blocks:
        errors = blocks(raw_blocks)
        if errors:
            return Refusal("invalid_blocks", tuple(errors))
    return None


def check_view(value: Any) -> Refusal | None:
    """views.publish / open / update / push: Slack's refusal of the `view`, or None."""
    view = decoded(value)
    p = Problems()
    if not isinstance(view, dict):
        return Refusal("invalid_arguments", ("view must be a JSON object [json-pointer:/view]",))
    kind = view.get("type")
    if kind not in ("home", "modal"):
        p.add("/view/type", f"unknown view type: {kind!r}")
        return Refusal("invalid_arguments", tuple(p.errors))
    _extra_fields(p, view, VIEW_FIELDS, "/view")
    if kind == "modal":
        _plain(p, view.get("title"), "/view/title", max_len=24)
        _plain(p, view.get("close"), "/view/close", max_len=24, required=False)
        _plain(p, view.get("submit"), "/view/submit", max_len=24, required=False)
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or [])
        if has_input and "submit" not in view:
            p.add("/view/submit", "a modal with input blocks needs submit")
    _string(p, view.get("private_metadata"), "/view/private_metadata", max_len=3000, min_len=0)
    _string(p, view.get("callback_id"), "/view/callback_id", max_len=ID_MAX)
    _string(p, view.get("external_id"), "/view/external_id", max_len=ID_MAX)
    for key in ("clear_on_close", "notify_on_close", "submit_disabled"):
        _bool(p, view, key, "/view")
    errors = p.errors + blocks(view.get("blocks"), "/view/blocks", surface=kind)
    if errors:
        return Refusal("invalid_arguments", tuple(errors))
    return None
