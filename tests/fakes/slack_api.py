"""A fake Slack Web API on loopback: records every call and answers like Slack, faults included.

The app reaches it through SLACK_API_URL (``fake.api_url``), exactly as it would reach slack.com, so
the code under test runs unchanged: slack_sdk's WebClient, its retry handlers, Bolt's `respond()`.

Faults are scripted per method: ``fake.script("chat.postMessage", Reply(429, retry_after=1))`` makes
the next call answer 429 with Retry-After; a scripted reply is used once, in order. ``fake.channel_errors``
makes every post to a channel fail with a Slack error such as ``channel_not_found``.

It is at least as strict as Slack: every message (chat.postMessage, postEphemeral, update, a
response_url post) and every view (views.publish, open, update, push) is checked against Slack's Block
Kit rules (`tests.fakes.block_kit`). A refused payload is answered as Slack answers it (Web API:
HTTP 200 with ``ok: false`` and ``invalid_blocks``; response_url: HTTP 400 naming the problem), is
recorded in ``fake.rejections``, and fails the test when the fake closes, unless the test expects
refusals (``fake.allow_rejections = True``): an app that falls back gracefully must still not send
what Slack refuses.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fakes import block_kit
from tests.fakes.block_kit import Refusal
from tests.fakes.block_kit import decoded as _decode
from tests.fakes.slack_auth import SlackAuth

# Reads Slack limits to one call a minute for apps outside the Marketplace.
READ_LIMITED = frozenset({"conversations.history", "conversations.replies"})

MESSAGE_METHODS = {"chat.postMessage", "chat.postEphemeral", "chat.update", "chat.scheduleMessage"}
VIEW_METHODS = {"views.publish", "views.open", "views.update", "views.push"}


class _Server(ThreadingHTTPServer):
    # A burst of answers (load tests) must queue, not be refused: the socketserver default backlog is 5.
    request_queue_size = 128


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    at: float
    path: str = ""  # the request path (a response URL's key, for matching answers to commands)


@dataclass
class Reply:
    """A scripted answer: an HTTP status, an optional Slack error, an optional delay before answering."""

    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    delay: float = 0.0
    body: dict[str, Any] | None = None
    # The call takes effect (the message is posted) before the failure is answered: a lost answer.
    applied: bool = False


@dataclass
class Rejection:
    """A payload the fake refused the way Slack would."""

    method: str
    error: str
    errors: tuple[str, ...]
    args: dict[str, Any]


@dataclass
class UploadedFile:
    """A file on its way through Slack's external upload: announced, uploaded, then completed."""

    id: str
    filename: str
    length: int
    alt_txt: str | None = None
    content: bytes | None = None
    completed: bool = False
    title: str | None = None
    channel: str | None = None
    thread_ts: str | None = None
    initial_comment: str | None = None


# What Slack's upload service accepts as an image: the file's bytes must be what its name says.
IMAGE_SIGNATURES = {
    ".png": b"\x89PNG\r\n\x1a\n",
    ".gif": b"GIF8",
    ".jpg": b"\xff\xd8\xff",
    ".jpeg": b"\xff\xd8\xff",
}
MAX_ALT_TXT = 1000


@dataclass
class FakeSlack(SlackAuth):
    team_id: str = "T0001"
    team_domain: str = "briefings-test"  # the workspace's <domain>.slack.com, as permalinks show it
    bot_user_id: str = "UBOT"
    calls: list[Call] = field(default_factory=list)
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    responses: list[dict[str, Any]] = field(default_factory=list)  # bodies POSTed to response_url
    views: dict[str, dict[str, Any]] = field(default_factory=dict)  # user id -> published App Home view
    channel_errors: dict[str, str] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    # user id -> the channel ids users.conversations lists for that user
    memberships: dict[str, list[str]] = field(default_factory=dict)
    # Optional realistic limits for chat.postMessage: messages per second per channel, and per workspace.
    # Over the limit, Slack answers 429 with Retry-After; None keeps the fake unlimited.
    post_rate_per_channel: float | None = None
    post_rate_per_team: float | None = None
    rejections: list[Rejection] = field(default_factory=list)
    # Files shared through files.getUploadURLExternal → upload URL → files.completeUploadExternal.
    files: dict[str, UploadedFile] = field(default_factory=dict)
    # A test that sends refused payloads on purpose sets this; otherwise any refusal fails at close().
    allow_rejections: bool = False
    # Channels the bot is a member of (DMs always are). History is readable only there, as in Slack.
    bot_channels: set[str] = field(default_factory=set)
    # Private channels: conversations.join refuses them (method_not_supported_for_channel_type).
    private_channels: set[str] = field(default_factory=set)
    # Slack's limits for apps outside the Marketplace: history and replies answer at most 15 messages
    # a call, one call a minute per method (429 with Retry-After beyond). None: unlimited calls.
    history_calls_per_minute: int | None = 1
    history_page_max: int = 15

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._scripts: dict[str, deque[Reply]] = defaultdict(deque)
        self._ts = itertools.count(1)
        self._last_post_at: dict[str, float] = {}
        self._team_posts: deque[float] = deque()
        self._read_calls: dict[str, deque[float]] = defaultdict(deque)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                fake._handle(self)

            def do_GET(self) -> None:
                fake._handle(self)

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    # --- what tests use ---------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        """The value for SLACK_API_URL / WebClient(base_url=...)."""
        return f"{self.base_url}/api/"

    def response_url(self, key: str = "r1") -> str:
        return f"{self.base_url}/response/{key}"

    def script(self, method: str, *replies: Reply) -> None:
        with self._lock:
            self._scripts[method].extend(replies)

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def posted(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages that reached a channel (top-level and thread replies), oldest first."""
        with self._lock:
            if channel is not None:
                return list(self.messages.get(channel, []))
            return [m for msgs in self.messages.values() for m in msgs]

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.messages.clear()
            self.responses.clear()
            self.views.clear()
            self.files.clear()
            self._scripts.clear()
            self._read_calls.clear()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        if self.rejections and not self.allow_rejections:
            lines = [f"{r.method}: {r.error} {list(r.errors)[:3]}" for r in self.rejections]
            raise AssertionError("Slack would have refused these payloads:\n" + "\n".join(lines))

    def _refused(self, method: str, args: dict[str, Any]) -> Refusal | None:
        """Slack's own check of a payload, recorded when it refuses."""
        refusal: Refusal | None = None
        if method == "response_url" or method in MESSAGE_METHODS:
            refusal = block_kit.check_message(args, response_url=method == "response_url")
        elif method in VIEW_METHODS:
            refusal = block_kit.check_view(args.get("view"))
        if refusal is not None:
            with self._lock:
                self.rejections.append(Rejection(method, refusal.error, refusal.errors, dict(args)))
        return refusal

    def __enter__(self) -> FakeSlack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the server ---------------------------------------------------------------------------

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        length = int(req.headers.get("Content-Length") or 0)
        raw = req.rfile.read(length) if length else b""
        parts = urlsplit(req.path)
        if parts.path.startswith("/upload/"):  # file bytes, not a Web API call
            headers = {k.lower(): v for k, v in req.headers.items()}
            self._upload(req, parts.path.removeprefix("/upload/"), raw, headers)
            return
        args: dict[str, Any] = dict(parse_qsl(parts.query))
        ctype = req.headers.get("Content-Type", "")
        if raw:
            if "json" in ctype:
                args.update(json.loads(raw.decode("utf-8")))
            else:
                args.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
        headers = {k.lower(): v for k, v in req.headers.items()}

        if parts.path.startswith("/response/"):
            with self._lock:
                self.calls.append(Call("response_url", args, headers, time.time(), parts.path))
                queue = self._scripts["response_url"]
                scripted = queue.popleft() if queue else None
            if scripted is not None:  # a scripted refusal: the status and the error as Slack's body
                self._send(req, scripted.status, (scripted.error or "").encode(), "text/plain")
                return
            refusal = self._refused("response_url", args)
            if refusal is not None:
                # Slack answers a refused response_url post with HTTP 400 and a plain-text reason.
                reason = "\n".join([refusal.error, *refusal.errors]).encode("utf-8")
                self._send(req, 400, reason, "text/plain")
                return
            with self._lock:
                self.responses.append(args)
            self._send(req, 200, b"ok", "text/plain")
            return

        method = parts.path.removeprefix("/api/").strip("/")
        with self._lock:
            self.calls.append(Call(method, args, headers, time.time()))
            scripted = self._scripts[method].popleft() if self._scripts[method] else None
            refused = self.token_error(method, headers, args)
        if refused is not None:
            self._send_json(req, 200, {"ok": False, "error": refused})
            return
        channel_arg = str(args.get("channel", ""))
        if scripted is None and method == "chat.postMessage" and self._over_rate(channel_arg):
            self._send_json(req, 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
            return
        if scripted is None and method in READ_LIMITED:
            wait = self._read_limited(method)
            if wait is not None:
                self._send_json(req, 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(wait)})
                return
        if scripted is not None:
            if scripted.delay:
                time.sleep(scripted.delay)
            if scripted.applied:
                self._answer(method, args)
            if scripted.status != 200 or scripted.error or scripted.body is not None:
                extra = {"Retry-After": str(scripted.retry_after)} if scripted.retry_after is not None else {}
                body = scripted.body or {"ok": False, "error": scripted.error or "internal_error"}
                if scripted.status == 429 and not scripted.error and scripted.body is None:
                    body = {"ok": False, "error": "ratelimited"}
                self._send_json(req, scripted.status, body, extra)
                return
        self._send_json(req, 200, self._answer(method, args))

    def _upload(self, req: BaseHTTPRequestHandler, file_id: str, raw: bytes, headers: dict[str, str]) -> None:
        """The upload URL: raw bytes (as slack_sdk sends them) for a file announced and not yet sent."""
        with self._lock:
            self.calls.append(Call("upload", {"file_id": file_id, "bytes": len(raw)}, headers, time.time()))
            pending = self.files.get(file_id)
            if pending is None or pending.content is not None:
                self._send(req, 404, b"not found", "text/plain")
                return
            if len(raw) != pending.length:
                # The announced length is what Slack reserves; a different body is refused.
                self._send(req, 400, b"length mismatch", "text/plain")
                return
            pending.content = raw
        self._send(req, 200, f"OK - {len(raw)}".encode(), "text/plain")

    def _over_rate(self, channel: str) -> bool:
        """Token-bucket-like limits as Slack applies them to chat.postMessage (monotonic clock)."""
        if self.post_rate_per_channel is None and self.post_rate_per_team is None:
            return False
        now = time.monotonic()
        with self._lock:
            if self.post_rate_per_channel is not None:
                last = self._last_post_at.get(channel)
                if last is not None and now - last < 1.0 / self.post_rate_per_channel:
                    return True
            if self.post_rate_per_team is not None:
                while self._team_posts and now - self._team_posts[0] >= 1.0:
                    self._team_posts.popleft()
                if len(self._team_posts) >= self.post_rate_per_team:
                    return True
                self._team_posts.append(now)
            self._last_post_at[channel] = now
        return False

    def _read_limited(self, method: str) -> int | None:
        """Seconds to wait when this read is over its per-minute allowance, else None (and counted)."""
        if self.history_calls_per_minute is None:
            return None
        now = time.monotonic()
        with self._lock:
            calls = self._read_calls[method]
            while calls and now - calls[0] >= 60.0:
                calls.popleft()
            if len(calls) >= self.history_calls_per_minute:
                return max(1, int(60.0 - (now - calls[0])) + 1)
            calls.append(now)
        return None

    def next_minute(self) -> None:
        """Forget the reads of the current minute, as if a minute had passed for the read limits."""
        with self._lock:
            self._read_calls.clear()

    def is_member(self, channel: str) -> bool:
        with self._lock:
            return channel.startswith("D") or channel in self.bot_channels

    def hidden(self, channel: str) -> bool:
        """A private channel the bot is not in: Slack shows the bot nothing of it (`channel_not_found`),
        while a public one takes posts without membership (chat:write.public)."""
        return channel in self.private_channels and not self.is_member(channel)

    def _answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        refusal = self._refused(method, args)
        if refusal is not None:
            return {
                "ok": False,
                "error": refusal.error,
                "errors": list(refusal.errors),
                "response_metadata": {"messages": [f"[ERROR] {e}" for e in refusal.errors]},
            }
        handler = getattr(self, "_api_" + method.replace(".", "_"), None)
        if handler is None:
            return {"ok": True}
        result: dict[str, Any] = handler(args)
        return result

    def _send_json(
        self,
        req: BaseHTTPRequestHandler,
        status: int,
        body: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> None:
        self._send(req, status, json.dumps(body).encode("utf-8"), "application/json; charset=utf-8", headers)

    @staticmethod
    def _send(
        req: BaseHTTPRequestHandler,
        status: int,
        payload: bytes,
        ctype: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        req.send_response(status)
        req.send_header("Content-Type", ctype)
        req.send_header("Content-Length", str(len(payload)))
        for k, v in (headers or {}).items():
            req.send_header(k, v)
        req.end_headers()
        req.wfile.write(payload)

    # --- Web API methods -------------------------------------------------------------------------

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts):06d}"

    def _api_chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.channel_errors:
            return {"ok": False, "error": self.channel_errors[channel]}
        if self.hidden(channel):
            return {"ok": False, "error": "channel_not_found"}
        message = {k: _decode(v) for k, v in args.items() if k != "token"}
        message["ts"] = self._next_ts()
        message["type"] = "message"
        message["bot_id"] = "B0001"
        with self._lock:
            self.messages[channel].append(message)
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": message}

    def _api_chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        if channel in self.channel_errors:
            return {"ok": False, "error": self.channel_errors[channel]}
        if self.hidden(channel):
            return {"ok": False, "error": "channel_not_found"}
        return {"ok": True, "message_ts": self._next_ts()}

    def permalink_of(self, channel: str, ts: str, thread_ts: str | None = None) -> str:
        """The link Slack gives a message: the ts without its dot; a reply names its thread."""
        link = f"https://{self.team_domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return f"{link}?thread_ts={thread_ts}&cid={channel}" if thread_ts else link

    def _api_chat_getPermalink(self, args: dict[str, Any]) -> dict[str, Any]:
        """As Slack documents it: `channel` and `message_ts`, refused with channel_not_found or
        message_not_found; no scope of its own, any conversation type, thread replies included."""
        channel = str(args.get("channel") or "")
        ts = str(args.get("message_ts") or "")
        if channel in self.channel_errors:
            return {"ok": False, "error": self.channel_errors[channel]}
        with self._lock:
            msgs = list(self.messages.get(channel, []))
        known = bool(msgs) or channel in self.bot_channels or channel in self.private_channels
        if not channel or self.hidden(channel) or not known:
            return {"ok": False, "error": "channel_not_found"}
        found = next((m for m in msgs if m["ts"] == ts), None)
        if found is None:
            return {"ok": False, "error": "message_not_found"}
        thread = found.get("thread_ts")
        return {"ok": True, "channel": channel, "permalink": self.permalink_of(channel, ts, thread)}

    def _api_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}

    def _page(self, args: dict[str, Any]) -> int:
        """Slack clamps `limit` to its maximum rather than refusing a larger one."""
        return min(int(args.get("limit") or self.history_page_max), self.history_page_max)

    def _api_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        if channel in self.channel_errors:
            return {"ok": False, "error": self.channel_errors[channel]}
        if not self.is_member(channel):
            return {"ok": False, "error": "not_in_channel"}
        oldest = float(args.get("oldest") or 0)
        limit = self._page(args)
        with self._lock:
            msgs = [m for m in self.messages.get(channel, []) if float(m["ts"]) > oldest]
        top = [m for m in msgs if "thread_ts" not in m]
        top.reverse()  # Slack returns newest first
        return {"ok": True, "messages": top[:limit], "has_more": len(top) > limit}

    def _api_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        if channel in self.channel_errors:
            return {"ok": False, "error": self.channel_errors[channel]}
        if not self.is_member(channel):
            return {"ok": False, "error": "not_in_channel"}
        ts = str(args.get("ts", ""))
        limit = self._page(args)
        with self._lock:
            msgs = [m for m in self.messages.get(channel, []) if m["ts"] == ts or m.get("thread_ts") == ts]
        if not msgs:
            return {"ok": False, "error": "thread_not_found"}
        return {"ok": True, "messages": msgs[:limit], "has_more": len(msgs) > limit}

    def _api_conversations_join(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        if channel in self.channel_errors:
            return {"ok": False, "error": self.channel_errors[channel]}
        if channel.startswith("D") or channel in self.private_channels:
            return {"ok": False, "error": "method_not_supported_for_channel_type"}
        with self._lock:
            already = channel in self.bot_channels
            self.bot_channels.add(channel)
        answer: dict[str, Any] = {"ok": True, "channel": {"id": channel, "is_member": True}}
        if already:
            answer["warning"] = "already_in_channel"
        return answer

    def _api_conversations_members(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        if channel in self.channel_errors:
            return {"ok": False, "error": self.channel_errors[channel]}
        members = [self.bot_user_id] if self.is_member(channel) else []
        return {"ok": True, "members": members, "response_metadata": {"next_cursor": ""}}

    def _api_conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        if channel in self.channel_errors:
            return {"ok": False, "error": self.channel_errors[channel]}
        if self.hidden(channel):
            return {"ok": False, "error": "channel_not_found"}
        info = {
            "id": channel,
            "name": channel.lower(),
            "is_member": self.is_member(channel),
            "is_private": channel in self.private_channels,
            "is_im": channel.startswith("D"),
        }
        return {"ok": True, "channel": info}

    def _api_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args.get("user", ""))
        if user in self.users:
            return {"ok": True, "user": self.users[user]}
        if not user.startswith(("U", "W")):
            return {"ok": False, "error": "user_not_found"}
        info = {"id": user, "name": user.lower(), "tz": "Asia/Seoul", "tz_offset": 32400}
        return {"ok": True, "user": info}

    def _api_users_conversations(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args.get("user", ""))
        channels = [{"id": c, "name": c.lower()} for c in self.memberships.get(user, [])]
        return {"ok": True, "channels": channels, "response_metadata": {"next_cursor": ""}}

    def _api_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        view = _decode(args.get("view", {}))
        with self._lock:
            self.views[str(args.get("user_id", ""))] = view
        return {"ok": True, "view": view}

    def _api_files_getUploadURLExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        filename = str(args.get("filename") or "")
        try:
            length = int(str(args.get("length", "")))
        except ValueError:
            return {"ok": False, "error": "invalid_arguments"}
        if not filename or length <= 0:
            return {"ok": False, "error": "missing_argument"}
        alt = args.get("alt_txt")
        if alt is not None and len(str(alt)) > MAX_ALT_TXT:
            return {"ok": False, "error": "alt_txt_too_large"}
        with self._lock:
            file_id = f"F{len(self.files) + 1:08d}"
            self.files[file_id] = UploadedFile(file_id, filename, length, None if alt is None else str(alt))
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _api_files_completeUploadExternal(self, args: dict[str, Any]) -> dict[str, Any]:
        try:
            listed = json.loads(str(args.get("files") or ""))
        except ValueError:
            return {"ok": False, "error": "invalid_arguments"}
        if not isinstance(listed, list) or not listed or not all(isinstance(f, dict) for f in listed):
            return {"ok": False, "error": "invalid_arguments"}
        channel = args.get("channel_id")
        thread_ts = args.get("thread_ts")
        if channel is not None:
            channel = str(channel)
            if channel in self.channel_errors:
                return {"ok": False, "error": self.channel_errors[channel]}
            # Unlike chat.postMessage with chat:write.public, a file is shared only where the app is a member.
            if not self.is_member(channel):
                return {"ok": False, "error": "not_in_channel"}
        if thread_ts is not None and channel is None:
            return {"ok": False, "error": "invalid_arguments"}
        if thread_ts is not None:
            with self._lock:
                parents = [m for m in self.messages.get(str(channel), []) if m["ts"] == str(thread_ts)]
            if not parents or "thread_ts" in parents[0]:
                return {"ok": False, "error": "invalid_thread_ts"}
        with self._lock:
            found = [self.files.get(str(f.get("id", ""))) for f in listed]
            if any(f is None or f.content is None or f.completed for f in found):
                return {"ok": False, "error": "file_not_found"}
            done: list[UploadedFile] = [f for f in found if f is not None]
            for f, item in zip(done, listed, strict=True):
                suffix = "." + f.filename.rsplit(".", 1)[-1].lower() if "." in f.filename else ""
                signature = IMAGE_SIGNATURES.get(suffix)
                if signature is not None and not (f.content or b"").startswith(signature):
                    return {"ok": False, "error": "invalid_file_type"}
                f.title = str(item.get("title") or f.filename)
            for f in done:
                f.completed = True
                f.channel = channel
                f.thread_ts = None if thread_ts is None else str(thread_ts)
                f.initial_comment = (
                    None if args.get("initial_comment") is None else str(args["initial_comment"])
                )
            shared = [{"id": f.id, "name": f.filename, "title": f.title} for f in done]
            if channel is not None:
                message: dict[str, Any] = {
                    "type": "message",
                    "ts": self._next_ts(),
                    "text": done[0].initial_comment or "",
                    "files": shared,
                    "bot_id": "B0001",
                }
                if thread_ts is not None:
                    message["thread_ts"] = str(thread_ts)
                self.messages[channel].append(message)
        return {"ok": True, "files": shared}

    def _api_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = str(args.get("users", ""))
        return {"ok": True, "channel": {"id": "D" + users.split(",")[0].lstrip("U")}}
