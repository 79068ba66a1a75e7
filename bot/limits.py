"""Slack's Block Kit limits, in one place for every message the app builds."""

from __future__ import annotations

MAX_BLOCKS = 50  # per message
MAX_HOME_BLOCKS = 100  # per App Home view
SECTION_TEXT = 3000
HEADER_TEXT = 150
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
CONTEXT_ELEMENTS = 10
