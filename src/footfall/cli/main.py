"""``footfall``: the single entry point. Each command group lives in its own module.

A command module exposes ``register(subparsers)`` which adds its subparser(s) and sets
``func`` (a callable taking the parsed arguments and the settings, returning an exit
code). Add a new group by appending its module name to ``COMMAND_MODULES``.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from footfall import __version__
from footfall.errors import ConfigError
from footfall.settings import Settings

__all__ = ["build_parser", "main"]

COMMAND_MODULES: tuple[str, ...] = (
    "footfall.cli.kafka",
    "footfall.cli.topics",
    "footfall.cli.traffic",
    "footfall.cli.worker",
    "footfall.cli.simulate",
    "footfall.cli.processor",
    "footfall.cli.visitors",
    "footfall.cli.profiles",
    "footfall.cli.providers",
    "footfall.cli.rules",
    "footfall.cli.dev",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="footfall",
        description="Watch who is on a website and act on it, in real time. "
        "Configured by FOOTFALL_* environment variables (see docs/configuration.md).",
    )
    parser.add_argument("--version", action="version", version=f"footfall {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"footfall: configuration error: {exc}", file=sys.stderr)
        return 2
    code: int = args.func(args, settings)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
