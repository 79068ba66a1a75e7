"""The fake Slack's tokens: OAuth installs, token rotation, `auth.test`, and Socket Mode's URL.

`oauth.v2.access` answers as Slack does for the install the test describes (`fake.install`): a plain
workspace, a workspace of an Enterprise Grid organisation, or an org-wide install (no team). With
`rotating=True` it issues expiring tokens (12 hours) with a refresh token, and the refresh grant
(`grant_type=refresh_token`) trades a refresh token for a new pair.

Every token the fake issued is checked on every call: an expired one is answered `token_expired`, a
revoked one `token_revoked`, a refresh token used as an access token `invalid_auth`. Tokens the fake
did not issue (a test's `xoxb-test`) are accepted, so tests that do not care stay simple.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

TWELVE_HOURS = 12 * 3600


@dataclass
class Install:
    """What the next `oauth.v2.access` (code grant) answers."""

    team_id: str | None = "T0001"
    team_name: str = "Fake Team"
    enterprise_id: str | None = None
    enterprise_name: str = "Fake Org"
    is_enterprise_install: bool = False
    rotating: bool = False
    bot_token: str = "xoxb-fake-installed"  # a rotating install gets fresh xoxe.xoxb-… tokens instead
    user_id: str = "U0001"


@dataclass
class Issued:
    team_id: str | None
    enterprise_id: str | None
    is_enterprise_install: bool
    expires_at: float | None = None
    refresh: bool = False  # a refresh token, not usable as an access token


@dataclass
class SlackAuth:
    """Mixed into FakeSlack: state and the oauth.* / auth.* / apps.* methods."""

    install: Install = field(default_factory=Install)
    issued: dict[str, Issued] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)
    socket_url: str | None = None  # what apps.connections.open answers (the Socket Mode server)
    expires_in: int = TWELVE_HOURS

    def _new_token(self, prefix: str) -> str:
        n = next(_serial)
        return f"{prefix}-{n}-{secrets.token_hex(8)}"

    def token_error(self, method: str, headers: dict[str, str], args: dict[str, Any]) -> str | None:
        """Slack's answer to a call made with a token it would refuse, or None."""
        if method.startswith("oauth."):
            return None  # client credentials, not a token
        auth = headers.get("authorization", "")
        token = (
            auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else str(args.get("token", ""))
        )
        _request.token = token  # auth.test answers for the token it was called with
        if not token:
            return None
        if token in self.revoked:
            return "token_revoked"
        known = self.issued.get(token)
        if known is None:
            return None
        if known.refresh:
            return "invalid_auth"
        if known.expires_at is not None and time.time() >= known.expires_at:
            return "token_expired"
        return None

    def _issue(self, prefix: str, inst: Issued, rotating: bool) -> dict[str, Any]:
        token = self._new_token(prefix)
        if rotating:
            token = "xoxe." + token
        expires = time.time() + self.expires_in if rotating else None
        self.issued[token] = Issued(inst.team_id, inst.enterprise_id, inst.is_enterprise_install, expires)
        out: dict[str, Any] = {"access_token": token}
        if rotating:
            refresh = self._new_token("xoxe")
            self.issued[refresh] = Issued(
                inst.team_id, inst.enterprise_id, inst.is_enterprise_install, refresh=True
            )
            out.update(refresh_token=refresh, expires_in=self.expires_in)
        return out

    def _api_oauth_v2_access(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("grant_type") == "refresh_token":
            old = str(args.get("refresh_token", ""))
            known = self.issued.get(old)
            if known is None or not known.refresh or old in self.revoked:
                return {"ok": False, "error": "invalid_refresh_token"}
            fresh = self._issue("xoxb", known, rotating=True)
            return {
                "ok": True,
                "app_id": "A0001",
                "token_type": "bot",
                "scope": "commands,chat:write",
                "bot_user_id": getattr(self, "bot_user_id", "UBOT"),
                "team": {"id": known.team_id} if known.team_id else None,
                "enterprise": {"id": known.enterprise_id} if known.enterprise_id else None,
                "is_enterprise_install": known.is_enterprise_install,
                **fresh,
            }
        i = self.install
        inst = Issued(
            None if i.is_enterprise_install else i.team_id, i.enterprise_id, i.is_enterprise_install
        )
        if not i.rotating:
            self.issued[i.bot_token] = inst
            tokens: dict[str, Any] = {"access_token": i.bot_token}
        else:
            tokens = self._issue("xoxb", inst, i.rotating)
        return {
            "ok": True,
            "app_id": "A0001",
            "authed_user": {"id": i.user_id},
            "scope": "commands,chat:write",
            "token_type": "bot",
            "bot_user_id": getattr(self, "bot_user_id", "UBOT"),
            "team": None if i.is_enterprise_install else {"id": i.team_id, "name": i.team_name},
            "enterprise": {"id": i.enterprise_id, "name": i.enterprise_name} if i.enterprise_id else None,
            "is_enterprise_install": i.is_enterprise_install,
            **tokens,
        }

    def _api_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        team_id = getattr(self, "team_id", "T0001")
        enterprise_id: str | None = None
        org_wide = False
        known = self.issued.get(getattr(_request, "token", ""))
        if known is not None:
            team_id, enterprise_id, org_wide = known.team_id, known.enterprise_id, known.is_enterprise_install
        return {
            "ok": True,
            "url": "https://fake.slack.test/",
            "team": "Fake Team",
            "team_id": team_id,
            "enterprise_id": enterprise_id,
            "user": "briefings",
            "user_id": getattr(self, "bot_user_id", "UBOT"),
            "bot_id": "B0001",
            "is_enterprise_install": org_wide,
        }

    def _api_apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if self.socket_url is None:
            return {"ok": False, "error": "not_allowed_token_type"}
        return {"ok": True, "url": self.socket_url}


_serial = itertools.count(1)
_request = threading.local()  # each request is handled in its own thread
