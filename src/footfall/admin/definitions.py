"""Pushing notification profiles and external providers (SPEC §6) to their topics.

Profiles are keyed by profile id, providers by name; values are the validated JSON
forms. Providers carry only ``secret_env``, the name of the variable that holds the
secret on the workers: no secret ever travels on a topic.
"""

from __future__ import annotations

from collections.abc import Sequence

from footfall.admin.config_push import json_record, publish
from footfall.profiles import Profile, Provider
from footfall.settings import Settings

__all__ = ["delete_definition", "push_profiles", "push_providers"]


async def push_profiles(settings: Settings, profiles: Sequence[Profile]) -> int:
    records = [json_record(p.id, p.to_json()) for p in profiles]
    return await publish(settings, settings.topic("profiles"), records)


async def push_providers(settings: Settings, providers: Sequence[Provider]) -> int:
    records = [json_record(p.name, p.to_json()) for p in providers]
    return await publish(settings, settings.topic("providers"), records)


async def delete_definition(settings: Settings, topic: str, key: str) -> None:
    """Publish the tombstone of ``key`` on ``topic`` (``profiles`` or ``providers``)."""
    await publish(settings, settings.topic(topic), [json_record(key, None)])
