"""What every command shares: settings, the database, and one-line errors instead of tracebacks."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from briefings.cli._usage import FileError, NoArgsIsHelp, UsageError, usage_line
from briefings.config import Settings, SettingsError, get_settings
from briefings.db import make_engine, make_sessionmaker, session_scope
from briefings.redact import redact

console = Console()
err_console = Console(stderr=True)


class UserError(Exception):
    """A problem the operator can fix; shown as one line, exit status 2."""


@cache
def settings() -> Settings:
    return get_settings()


@cache
def engine() -> Engine:
    return make_engine(settings().db_url)


@cache
def sessions() -> sessionmaker[Session]:
    return make_sessionmaker(engine())


def reset() -> None:
    """Forget the cached settings and engine, for a process whose environment changed (tests)."""
    if engine.cache_info().currsize:
        engine().dispose()
    for cached in (settings, engine, sessions):
        cached.cache_clear()


@contextmanager
def db_session() -> Iterator[Session]:
    with session_scope(sessions()) as session:
        yield session


def fail(message: str) -> typer.Exit:
    _print_error(message)
    return typer.Exit(code=2)


def _schema_missing(exc: Exception) -> bool:
    text = str(exc).lower()
    return "no such table" in text or ("does not exist" in text and "relation" in text)


def run_guarded(app: typer.Typer) -> None:
    """Run the Typer app; known failures become a single Korean line and exit status 2.

    Typer runs outside its standalone mode so that usage errors reach here too (as one Korean line
    instead of Typer's English box); everything else that escapes a command is caught here so an
    operator never sees a traceback.
    """
    try:
        code = app(standalone_mode=False)
    except SettingsError as exc:
        for line in exc.lines:
            _print_error(line)
        raise SystemExit(2) from None
    except UserError as exc:
        raise SystemExit(_print_error(str(exc))) from None
    except (UsageError, FileError) as exc:
        if NoArgsIsHelp is not None and isinstance(exc, NoArgsIsHelp):
            typer.echo(getattr(exc, "message", "") or "")  # the help text (rich prints it itself)
            raise SystemExit(2) from None
        raise SystemExit(_print_error(usage_line(exc))) from None
    except typer.Abort:
        raise SystemExit(_print_error("중단했습니다.")) from None
    except ValidationError as exc:  # settings: pydantic's report is many lines; one per problem is enough
        raise SystemExit(_print_error(settings_problems(exc))) from None
    except (OperationalError, ProgrammingError) as exc:
        if _schema_missing(exc):
            msg = "데이터베이스가 준비되지 않았습니다. 먼저 `briefings db upgrade`를 실행하세요."
        else:
            first = str(exc.orig if exc.orig is not None else exc).strip().splitlines()
            msg = f"데이터베이스 오류: {first[0] if first else type(exc).__name__}"
        raise SystemExit(_print_error(msg)) from None
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    except Exception as exc:  # anything unforeseen: still one line, and a non-zero exit
        head = (str(exc).strip().splitlines() or [""])[0][:200]
        raise SystemExit(_print_error(f"예상하지 못한 오류입니다 ({type(exc).__name__}: {head})")) from None
    raise SystemExit(code if isinstance(code, int) else 0)


def settings_problems(exc: ValidationError) -> str:
    """One line for pydantic's report: each problem, named by its environment variable."""
    problems = []
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"]).upper()
        message = str(error["msg"]).removeprefix("Value error, ")
        problems.append(message if name in message else f"{name}: {message}")
    return " / ".join(problems)


def _print_error(message: str) -> int:
    # An exception's text can carry a token or a database password; the operator sees neither.
    err_console.print(f"[bold red]오류:[/] {redact(message)}", highlight=False, soft_wrap=True)
    sys.stderr.flush()
    return 2
