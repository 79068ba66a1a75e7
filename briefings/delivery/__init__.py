"""Delivering daily briefings exactly once, as a domain with a port.

- `plan` (pure): which (channel, local date) briefings are due at `now`.
- `decide` (pure): per briefing, post (all or the missing parts), skip, record empty, or settle.
- `claims`: the claims store (insert or compare-and-set, heartbeat, fencing generation, `covered_until`).
- `port`: what a chat service must offer (`Poster`); `bot.deliver` implements it with slack_sdk.
- `run`: one delivery run stringing them together; every failure of a briefing is recorded there.
"""
