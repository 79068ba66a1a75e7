"""Slack tokens never reach a log line or an error line.

slack_sdk's errors and debug logs can carry a request (a refresh token in an `oauth.v2.access` body, a
token in a URL), and an exception's text ends up in our logs and one-line CLI errors. Every log record
is redacted when it is made (a record factory, so every handler and every logger sees the same text),
and `redact()` is there for any other text shown to an operator (every one-line CLI error goes through it).
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

# Bot, user, app-level, configuration and refresh tokens: xoxb-…, xoxp-…, xapp-…, xoxe.xoxb-…, xoxe-…
TOKEN = re.compile(r"\b(xox[a-z]?(?:\.xox[a-z])?|xapp)-[A-Za-z0-9._\-]+")
MASK = r"\1-***"
# OAuth credentials in a logged request body (`'client_secret': '…'`, `code=…`).
SECRET = re.compile(r"""(\b(?:client_secret|code|refresh_token)['"]?\s*[:=]\s*['"]?)[^'"&,\s}]+""")
# A password inside a database URL (`postgresql://user:secret@host/db`) that a driver error repeats.
URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")

_lock = threading.Lock()
_installed = False


def redact(text: str) -> str:
    return URL_PASSWORD.sub(r"\1***@", SECRET.sub(r"\1***", TOKEN.sub(MASK, text)))


def install() -> None:
    """Redact every log record made from now on in this process (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        make_record = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = make_record(*args, **kwargs)
            try:
                message = record.getMessage()
            except Exception:  # a malformed format string: leave the record for logging to report
                return record
            cleaned = redact(message)
            if cleaned != message or record.args:
                record.msg, record.args = cleaned, None
            if record.exc_info and record.exc_info[1] is not None:
                record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            return record

        logging.setLogRecordFactory(factory)
        _installed = True
