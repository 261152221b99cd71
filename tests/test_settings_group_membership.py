"""FOOTFALL_SESSION_TIMEOUT and FOOTFALL_INSTANCE_ID: how group members are told apart."""

from __future__ import annotations

import pytest

from footfall.errors import ConfigError
from footfall.settings import Settings


def test_defaults_move_a_silent_members_partitions_after_ten_seconds() -> None:
    s = Settings.from_env({})
    assert s.session_timeout == 10.0
    assert s.heartbeat_interval == 2.0
    assert s.instance_id is None


def test_both_are_read() -> None:
    s = Settings.from_env(
        {"FOOTFALL_SESSION_TIMEOUT": "6s", "FOOTFALL_INSTANCE_ID": "footfall-processor-0"}
    )
    assert (s.session_timeout, s.instance_id) == (6.0, "footfall-processor-0")
    assert {"FOOTFALL_SESSION_TIMEOUT", "FOOTFALL_INSTANCE_ID"} <= set(Settings.variable_names())


@pytest.mark.parametrize("value", ["0.5s", "6m", "0"])
def test_a_session_timeout_out_of_range_is_refused(value: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"FOOTFALL_SESSION_TIMEOUT": value})
    assert "FOOTFALL_SESSION_TIMEOUT" in str(info.value)
