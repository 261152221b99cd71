"""``footfall profiles``: push or delete notification profiles (SPEC §6)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from footfall.admin.definitions_cli import register_group
from footfall.settings import Settings

__all__ = ["register"]


def _load(paths: Sequence[str]) -> Sequence[Any]:
    from footfall.profiles import load_profiles

    return load_profiles(paths)


async def _push(settings: Settings, items: Sequence[Any]) -> int:
    from footfall.admin.definitions import push_profiles

    return await push_profiles(settings, items)


def register(subparsers: Any) -> None:
    register_group(subparsers, "profiles", "profile", "id", _load, _push, lambda p: p.id)
