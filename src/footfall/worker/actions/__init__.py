"""The eight action kinds of SPEC §5, each in its own module, looked up by kind."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import MappingProxyType

from footfall.worker.actions import (
    call_web_page,
    log_to_file,
    notify_external_provider,
    purge_from_list,
    remove_from_list,
    send_email,
    send_live_chat_invitation,
    use_my_notification_profile,
)
from footfall.worker.command import Command
from footfall.worker.context import ActionContext

__all__ = ["ACTIONS", "Action"]

Action = Callable[[Command, ActionContext], Awaitable[None]]

ACTIONS: MappingProxyType[str, Action] = MappingProxyType(
    {
        "call_web_page": call_web_page.execute,
        "log_to_file": log_to_file.execute,
        "notify_external_provider": notify_external_provider.execute,
        "purge_from_list": purge_from_list.execute,
        "remove_from_list": remove_from_list.execute,
        "send_email": send_email.execute,
        "send_live_chat_invitation": send_live_chat_invitation.execute,
        "use_my_notification_profile": use_my_notification_profile.execute,
    }
)
