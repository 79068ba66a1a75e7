"""Command-line usage errors (unknown option, missing or bad value) as one Korean line.

Typer reports these in an English box of several lines; the operator gets one sentence instead that
names the option and the value, and where to look for help. The exception classes are those of the
click Typer runs on (its own copy in recent releases), reached through the public `typer.BadParameter`.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import typer

_errors = importlib.import_module(typer.BadParameter.__module__)
UsageError: type[Exception] = _errors.UsageError
NoArgsIsHelp: type[Exception] | None = getattr(_errors, "NoArgsIsHelpError", None)
FileError: type[Exception] = _errors.FileError

# click's wording of a rejected value → the same fact in Korean.
_DETAILS = (
    (re.compile(r"^'?(?P<v>.*?)'? is not a valid (integer|int)\.?$"), "{v}: 정수가 아닙니다"),
    (re.compile(r"^'?(?P<v>.*?)'? is not a valid (float|number)\.?$"), "{v}: 숫자가 아닙니다"),
    (re.compile(r"^'?(?P<v>.*?)'? is not a valid boolean\.?$"), "{v}: 참/거짓 값이 아닙니다"),
    (
        re.compile(r"^'?(?P<v>.*?)'? is not in the range (?P<r>.+?)\.?$"),
        "{v}: 허용 범위({r})를 벗어났습니다",
    ),
    (re.compile(r"^'?(?P<v>.*?)'? is not one of (?P<r>.+?)\.?$"), "{v}: 다음 중 하나여야 합니다: {r}"),
    (re.compile(r"^'?(?P<v>.*?)'? is not a valid choice.*$"), "{v}: 허용되지 않는 선택입니다"),
    # Recent Typer words it the way pydantic does, without the value.
    (re.compile(r"^Input should be a valid integer.*$"), "정수가 아닙니다"),
    (re.compile(r"^Input should be a valid (number|float|decimal).*$"), "숫자가 아닙니다"),
    (re.compile(r"^Input should be a valid boolean.*$"), "참/거짓 값이 아닙니다"),
    (re.compile(r"^Input should be greater than or equal to (?P<n>\S+?)\.?$"), "{n} 이상이어야 합니다"),
    (re.compile(r"^Input should be less than or equal to (?P<n>\S+?)\.?$"), "{n} 이하여야 합니다"),
    (re.compile(r"^Input should be greater than (?P<n>\S+?)\.?$"), "{n}보다 커야 합니다"),
    (re.compile(r"^Input should be less than (?P<n>\S+?)\.?$"), "{n}보다 작아야 합니다"),
    (re.compile(r"^Input should be (?P<r>'.*')\.?$"), "다음 중 하나여야 합니다: {r}"),
)
_NO_COMMAND = re.compile(r"^No such command '(?P<name>.*)'\.?$")
_EXTRA = re.compile(r"^Got unexpected extra arguments?(\(s\))? \((?P<args>.*)\)\.?$")
_REQUIRES = re.compile(r"^Option '(?P<opt>.+)' requires an argument\.?$")


def _cut(text: str, limit: int = 60) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _help_hint(exc: Any) -> str:
    ctx = getattr(exc, "ctx", None)
    path = getattr(ctx, "command_path", None) or "briefings"
    return f" 도움말: `{path} --help`"


def _param_name(exc: Any) -> str:
    hint = getattr(exc, "param_hint", None)
    if hint:
        return " / ".join(hint) if isinstance(hint, (list, tuple)) else str(hint)
    param = getattr(exc, "param", None)
    opts = getattr(param, "opts", None) or []
    if opts and getattr(param, "param_type_name", "") == "option":
        return " / ".join(opts)
    name = getattr(param, "human_readable_name", None) or getattr(param, "name", None)
    return str(name).upper() if name else "입력"


def _detail(message: str) -> str:
    for pattern, korean in _DETAILS:
        m = pattern.match(message.strip())
        if m:
            return korean.format(**{k: _cut(v) for k, v in m.groupdict().items()})
    return _cut(message, 120)


def usage_line(exc: Exception) -> str:
    """The Korean sentence for one usage error."""
    kind = type(exc).__name__
    message = str(getattr(exc, "message", "") or "")
    hint = _help_hint(exc)
    if kind == "NoSuchOption":
        name = _cut(getattr(exc, "option_name", "") or message)
        possible = sorted(getattr(exc, "possibilities", None) or [])
        maybe = f" (혹시: {', '.join(possible[:3])})" if possible else ""
        return f"알 수 없는 옵션입니다: {name}{maybe}.{hint}"
    if kind == "MissingParameter":
        return f"필요한 값이 없습니다: {_param_name(exc)}.{hint}"
    if kind == "BadParameter":
        return f"{_param_name(exc)} 값이 올바르지 않습니다 ({_detail(message)}).{hint}"
    if isinstance(exc, FileError):
        filename = _cut(str(getattr(exc, "ui_filename", None) or getattr(exc, "filename", "")))
        return f"파일을 열 수 없습니다: {filename} ({_cut(message, 80)})"
    m = _NO_COMMAND.match(message)
    if m:
        return f"알 수 없는 명령입니다: {_cut(m['name'])}.{hint}"
    m = _EXTRA.match(message)
    if m:
        return f"필요 없는 인자가 있습니다: {_cut(m['args'])}.{hint}"
    m = _REQUIRES.match(message)
    if m:
        return f"옵션 {_cut(m['opt'])} 뒤에 값을 적어 주세요.{hint}"
    return f"명령줄 입력이 올바르지 않습니다: {_cut(message, 120)}.{hint}"
