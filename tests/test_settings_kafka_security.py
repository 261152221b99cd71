"""Managed Kafka settings checked at start (SASL, TLS, mutual TLS); standby replicas and
RocksDB memory reach the processor's Faust app."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from footfall.errors import ConfigError
from footfall.processor.faust_app import create_app
from footfall.processor.testing import idle_wiring
from footfall.reconnect import broker_unreachable
from footfall.settings import MIB, KafkaSecurity, RocksDBMemory, Settings


def _pem_pair(directory: Path, name: str) -> tuple[Path, Path]:
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", f"/CN={name}", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        (
            {"FOOTFALL_KAFKA_SECURITY_PROTOCOL": "SASL_SSL"},
            "SASL_SSL needs FOOTFALL_KAFKA_SASL_USERNAME and FOOTFALL_KAFKA_SASL_PASSWORD",
        ),
        (
            {
                "FOOTFALL_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
                "FOOTFALL_KAFKA_SASL_USERNAME": "u",
                "FOOTFALL_KAFKA_SASL_PASSWORD": "p",
                "FOOTFALL_KAFKA_SASL_MECHANISM": "GSSAPI",
            },
            "FOOTFALL_KAFKA_SASL_MECHANISM='GSSAPI': expected one of PLAIN, SCRAM-SHA-256, "
            "SCRAM-SHA-512",
        ),
        (
            {"FOOTFALL_KAFKA_SECURITY_PROTOCOL": "SSL", "FOOTFALL_KAFKA_SASL_MECHANISM": "PLAIN"},
            "FOOTFALL_KAFKA_SECURITY_PROTOCOL=SSL does not use SASL",
        ),
        (
            {"FOOTFALL_KAFKA_SECURITY_PROTOCOL": "SSL", "FOOTFALL_KAFKA_SSL_CERTFILE": "c.pem"},
            "FOOTFALL_KAFKA_SSL_CERTFILE and FOOTFALL_KAFKA_SSL_KEYFILE go together",
        ),
        (
            {"FOOTFALL_KAFKA_SSL_CAFILE": "/etc/ca.pem"},
            "FOOTFALL_KAFKA_SECURITY_PROTOCOL=PLAINTEXT does not use TLS",
        ),
        ({"FOOTFALL_STANDBY_REPLICAS": "-1"}, "FOOTFALL_STANDBY_REPLICAS='-1'"),
        ({"FOOTFALL_ROCKSDB_WRITE_BUFFERS": "1"}, "must be at least 2"),
    ],
)
def test_combinations_that_cannot_work_are_refused_at_start(
    env: dict[str, str], fragment: str
) -> None:
    with pytest.raises(ConfigError) as info:
        Settings.from_env(env)
    assert fragment in str(info.value)


@pytest.mark.parametrize("mechanism", ["plain", "scram-sha-256", "SCRAM-SHA-512"])
def test_sasl_mechanisms_are_normalised(mechanism: str) -> None:
    settings = Settings.from_env(
        {
            "FOOTFALL_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "FOOTFALL_KAFKA_SASL_MECHANISM": mechanism,
            "FOOTFALL_KAFKA_SASL_USERNAME": "u",
            "FOOTFALL_KAFKA_SASL_PASSWORD": "p",
        }
    )
    assert settings.kafka.aiokafka_kwargs()["sasl_mechanism"] == mechanism.upper()


def test_unreadable_tls_files_are_configuration_errors_not_an_unreachable_broker(
    tmp_path: Path,
) -> None:
    # before: FileNotFoundError, an OSError, which services took for an unreachable
    # broker and tried again forever
    missing = KafkaSecurity(protocol="SSL", ssl_cafile=str(tmp_path / "nope.pem"))
    with pytest.raises(ConfigError) as info:
        missing.aiokafka_kwargs()
    assert "FOOTFALL_KAFKA_SSL_CAFILE=" in str(info.value)
    assert not broker_unreachable(info.value)
    cert, _key = _pem_pair(tmp_path, "client")
    _other_cert, other_key = _pem_pair(tmp_path, "other")
    mismatched = KafkaSecurity(protocol="SSL", ssl_certfile=str(cert), ssl_keyfile=str(other_key))
    with pytest.raises(ConfigError) as info:
        mismatched.aiokafka_kwargs()
    assert "FOOTFALL_KAFKA_SSL_CERTFILE=" in str(info.value)


def test_a_client_certificate_is_loaded_into_the_context(tmp_path: Path) -> None:
    cert, key = _pem_pair(tmp_path, "client")
    settings = Settings.from_env(
        {
            "FOOTFALL_KAFKA_SECURITY_PROTOCOL": "SSL",
            "FOOTFALL_KAFKA_SSL_CAFILE": str(cert),
            "FOOTFALL_KAFKA_SSL_CERTFILE": str(cert),
            "FOOTFALL_KAFKA_SSL_KEYFILE": str(key),
            "FOOTFALL_KAFKA_SSL_KEY_PASSWORD": "unused-for-an-unencrypted-key",
        }
    )
    assert "unused" not in repr(settings)
    context = settings.kafka.aiokafka_kwargs()["ssl_context"]
    assert [c["subject"] for c in context.get_ca_certs()] == [((("commonName", "client"),),)]


def test_standby_replicas_and_rocksdb_memory_reach_faust(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "FOOTFALL_STANDBY_REPLICAS": "0",
            "FOOTFALL_ROCKSDB_WRITE_BUFFER_MB": "2",
            "FOOTFALL_ROCKSDB_WRITE_BUFFERS": "3",
            "FOOTFALL_ROCKSDB_BLOCK_CACHE_MB": "5",
            "FOOTFALL_STATE_DIR": str(tmp_path),
        }
    )
    assert settings.rocksdb == RocksDBMemory(2 * MIB, 3, 5 * MIB)
    assert settings.rocksdb.per_database() == 11 * MIB
    wiring = idle_wiring()
    parts = create_app(settings, wiring, canonical_url="http://x:1")
    assert parts.app.conf.table_standby_replicas == 0
    for table in (parts.visitors, parts.marks):
        options = table.data.rocksdb_options
        assert options.write_buffer_size == 2 * MIB
        assert options.max_write_buffer_number == 3
        assert options.block_cache_size == 5 * MIB
    assert Settings().standby_replicas == 1
