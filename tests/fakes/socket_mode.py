"""Slack's Socket Mode endpoint on loopback: a real WebSocket server speaking Slack's protocol.

The app asks `apps.connections.open` (the fake Web API answers with `url`) and connects; the server
greets it with `hello`, then sends what a test gives it as envelopes (`slash_commands`, `events_api`,
`interactive`), each with an `envelope_id`. The app acknowledges an envelope by sending back
`{"envelope_id": …}`, with a `payload` when it answers in the acknowledgement (a slash command's
ephemeral reply). `ack(envelope_id)` waits for that acknowledgement.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve


class FakeSocketMode:
    def __init__(self) -> None:
        self.acks: dict[str, dict[str, Any]] = {}
        self.received: list[dict[str, Any]] = []  # everything the app sent, acks or not
        self._cond = threading.Condition()
        self._connection: ServerConnection | None = None
        self._server: Server = serve(self._handle, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """What `apps.connections.open` answers (ws:// on loopback, where Slack's is wss://)."""
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}/link/?ticket={secrets.token_hex(8)}&app_id=A0001"

    def _handle(self, connection: ServerConnection) -> None:
        hello = {
            "type": "hello",
            "num_connections": 1,
            "debug_info": {"host": "fake-socket-mode", "approximate_connection_time": 18060},
            "connection_info": {"app_id": "A0001"},
        }
        connection.send(json.dumps(hello))
        with self._cond:
            self._connection = connection
            self._cond.notify_all()
        try:
            for raw in connection:
                message = json.loads(raw)
                with self._cond:
                    self.received.append(message)
                    if "envelope_id" in message:
                        self.acks[str(message["envelope_id"])] = message
                    self._cond.notify_all()
        except ConnectionClosed:
            pass
        finally:
            with self._cond:
                if self._connection is connection:
                    self._connection = None

    def wait_connected(self, timeout: float = 15.0) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: self._connection is not None, timeout=timeout):
                raise AssertionError("the app did not connect over Socket Mode")

    def send(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool = False,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> str:
        """Deliver one envelope (`slash_commands`, `events_api`, `interactive`); returns its id."""
        self.wait_connected()
        envelope_id = f"{secrets.token_hex(4)}-{int(time.time() * 1000)}"
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        }
        if kind == "events_api":
            envelope.update(retry_attempt=retry_attempt, retry_reason=retry_reason)
        with self._cond:
            connection = self._connection
        assert connection is not None
        connection.send(json.dumps(envelope))
        return envelope_id

    def ack(self, envelope_id: str, timeout: float = 15.0) -> dict[str, Any]:
        """The app's acknowledgement of an envelope (waits for it)."""
        with self._cond:
            if not self._cond.wait_for(lambda: envelope_id in self.acks, timeout=timeout):
                raise AssertionError(f"envelope {envelope_id} was not acknowledged")
            return self.acks[envelope_id]

    def close(self) -> None:
        with self._cond:
            connection = self._connection
        if connection is not None:
            connection.close()
        self._server.shutdown()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeSocketMode:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
