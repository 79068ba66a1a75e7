"""The `briefings` command line. Each module in this package adds its commands through `register(app)`,
so a stage's commands live next to nothing but themselves."""

from __future__ import annotations

import importlib
import pkgutil

import typer

from briefings.cli.common import run_guarded, settings

app = typer.Typer(
    name="briefings",
    help="Briefings: 한국 기업 뉴스 브리핑 (수집 · 분석 · Slack 전달)",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _check_settings() -> None:
    # Every command (web, worker and run included) starts here: bad settings stop it before any work,
    # with one Korean line per bad variable.
    settings()


def _register_all(target: typer.Typer, package: str) -> None:
    pkg = importlib.import_module(package)
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name.startswith("_") or info.name == "common":
            continue
        module = importlib.import_module(f"{package}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(target)


_register_all(app, __name__)


def main() -> None:
    run_guarded(app)
