"""``footfall providers``: push or delete external providers (SPEC §6).

Only the name of the environment variable holding a provider's secret
(``secret_env``) is published; the secret itself stays with the workers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from footfall.admin.definitions_cli import register_group
from footfall.settings import Settings

__all__ = ["register"]


def _load(paths: Sequence[str]) -> Sequence[Any]:
    from footfall.profiles import load_providers

    return load_providers(paths)


async def _push(settings: Settings, items: Sequence[Any]) -> int:
    from footfall.admin.definitions import push_providers

    return await push_providers(settings, items)


def register(subparsers: Any) -> None:
    register_group(subparsers, "providers", "provider", "name", _load, _push, lambda p: p.name)
