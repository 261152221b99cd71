"""The Faust app takes its configuration from footfall's settings only."""

from __future__ import annotations

from pathlib import Path

import pytest

from footfall.processor.faust_app import create_app
from footfall.processor.faust_environment import FAUST_IMPORT_VARIABLES, drop_faust_variables
from footfall.processor.testing import idle_wiring
from footfall.settings import Settings


def _settings(tmp_path: Path, **changes: object) -> Settings:
    return Settings(
        broker="127.0.0.1:19092",
        partitions=6,
        store="memory://",
        state_dir=tmp_path,
    ).with_overrides(**changes)


def test_faust_variables_of_the_environment_change_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "BROKER_URL": "kafka://elsewhere.example:9092",
        "TOPIC_PARTITIONS": "3",
        "APP_STORE": "rocksdb://",
        "TABLE_STANDBY_REPLICAS": "5",
        "BROKER_SESSION_TIMEOUT": "120",
        "CONSUMER_GROUP_INSTANCE_ID": "someone-else",
        "APP_DATADIR": "/elsewhere",
    }.items():
        monkeypatch.setenv(name, value)
    conf = create_app(_settings(tmp_path), idle_wiring(), canonical_url="http://x:1").app.conf
    assert [str(url) for url in conf.broker] == ["kafka://127.0.0.1:19092"]
    assert conf.topic_partitions == 6
    assert str(conf.store) == "memory:"
    assert conf.table_standby_replicas == 1  # Faust's default, not the variable's 5
    assert conf.broker_session_timeout == 10.0
    assert conf.consumer_group_instance_id is None
    assert Path(conf.datadir) == tmp_path


def test_session_timeout_and_instance_id_come_from_the_settings(tmp_path: Path) -> None:
    settings = _settings(tmp_path, session_timeout=6.0, instance_id="footfall-processor-1")
    conf = create_app(settings, idle_wiring(), canonical_url="http://x:1").app.conf
    assert conf.broker_session_timeout == 6.0
    assert conf.broker_heartbeat_interval == pytest.approx(1.2)
    assert conf.consumer_group_instance_id == "footfall-processor-1"


def test_variables_faust_reads_at_import_are_dropped() -> None:
    environ = {"FAUST_LOOP": "eventlet", "F_DATADIR": "/x", "FOOTFALL_BROKER": "b:1", "PATH": "/"}
    assert drop_faust_variables(environ) == ["FAUST_LOOP", "F_DATADIR"]
    assert environ == {"FOOTFALL_BROKER": "b:1", "PATH": "/"}
    assert {"FAUST_LOOP", "F_LOOP", "FAUST_DEBUG", "F_WEB_PORT"} <= FAUST_IMPORT_VARIABLES
