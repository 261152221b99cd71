"""footfall against a broker configured as managed Kafka services are: TLS, mutual TLS
(client certificates) and SASL_SSL with SCRAM-SHA-256/512 and PLAIN, with certificates
made here by openssl. Topics, a produce/consume round trip and a processor start run
through footfall's own settings (FOOTFALL_KAFKA_*), as a deployment would set them."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiokafka.errors import KafkaError

from footfall.devkafka import BrokerTls, Listener, LocalKafka
from footfall.kafka_clients import make_consumer, make_producer
from footfall.processor.service import Processor
from footfall.processor.testing import fast_options
from footfall.settings import Settings
from footfall.topics import ensure_topics

pytestmark = pytest.mark.integration

SCRAM_USER, SCRAM_PASSWORD = "footfall", "scram-secret-1"
PLAIN_USER, PLAIN_PASSWORD = "plainuser", "plain-secret-1"


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)


def _certificate(directory: Path, name: str, ca: tuple[Path, Path], extensions: str) -> None:
    """``name``.pem and ``name``.key signed by ``ca`` (certificate, key)."""
    key, csr, cert = (directory / f"{name}.{ext}" for ext in ("key", "csr", "pem"))
    ext = directory / f"{name}.ext"
    ext.write_text(extensions)
    _openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}",
             "-keyout", str(key), "-out", str(csr))  # fmt: skip
    _openssl("x509", "-req", "-in", str(csr), "-CA", str(ca[0]), "-CAkey", str(ca[1]),
             "-CAcreateserial", "-days", "2", "-extfile", str(ext), "-out", str(cert))  # fmt: skip


def _ca(directory: Path, name: str) -> tuple[Path, Path]:
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
             f"/CN={name}", "-keyout", str(key), "-out", str(cert))  # fmt: skip
    return cert, key


@dataclass(frozen=True)
class Pki:
    ca: Path
    client_cert: Path
    client_key: Path
    stranger_cert: Path  # signed by a CA the broker does not trust
    stranger_key: Path


@pytest.fixture(scope="module")
def managed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalKafka, Pki]]:
    directory = tmp_path_factory.mktemp("pki")
    ca = _ca(directory, "footfall-test-ca")
    other = _ca(directory, "other-ca")
    _certificate(directory, "broker", ca, "subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _certificate(directory, "client", ca, "extendedKeyUsage=clientAuth\n")
    _certificate(directory, "stranger", other, "extendedKeyUsage=clientAuth\n")
    keystore = directory / "broker.p12"
    _openssl("pkcs12", "-export", "-in", str(directory / "broker.pem"), "-inkey",
             str(directory / "broker.key"), "-passout", "pass:keystore-pw", "-out",
             str(keystore))  # fmt: skip
    broker = LocalKafka(
        listeners=(
            Listener("TLS", "SSL"),
            Listener("MTLS", "SSL", client_auth="required"),
            Listener(
                "SCRAM",
                "SASL_SSL",
                mechanisms=("SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN"),
                plain_users={PLAIN_USER: PLAIN_PASSWORD},
            ),
        ),
        tls=BrokerTls(keystore=keystore, keystore_password="keystore-pw", truststore=ca[0]),
        scram_users={SCRAM_USER: SCRAM_PASSWORD},
    )
    broker.start()
    try:
        yield (
            broker,
            Pki(
                ca=ca[0],
                client_cert=directory / "client.pem",
                client_key=directory / "client.key",
                stranger_cert=directory / "stranger.pem",
                stranger_key=directory / "stranger.key",
            ),
        )
    finally:
        broker.stop()


def _settings(broker: str, tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env(
        {
            "FOOTFALL_BROKER": broker,
            "FOOTFALL_TOPIC_PREFIX": f"m{uuid.uuid4().hex[:8]}.",
            "FOOTFALL_PARTITIONS": "2",
            "FOOTFALL_STATE_DIR": str(tmp_path / "state"),
            "FOOTFALL_STORE": "memory://",
            **{f"FOOTFALL_{k}": v for k, v in env.items()},
        }
    )


async def _round_trip(settings: Settings) -> None:
    """Create the topics, produce one record and read it back."""
    created = await ensure_topics(settings)
    assert settings.topic("actions") in created
    topic = settings.topic("actions")
    producer = make_producer(settings)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"hello", key=b"v1")
    finally:
        await producer.stop()
    consumer = make_consumer(settings, topic, group_id=f"{settings.topic_prefix}check")
    await consumer.start()
    try:
        record = await asyncio.wait_for(consumer.getone(), 30)
    finally:
        await consumer.stop()
    assert (record.key, record.value) == (b"v1", b"hello")


async def _refused(settings: Settings) -> BaseException:
    with pytest.raises((KafkaError, OSError, TimeoutError)) as info:
        await asyncio.wait_for(ensure_topics(settings, wait_seconds=5), 30)
    return info.value


async def test_tls_with_the_brokers_ca(managed: tuple[LocalKafka, Pki], tmp_path: Path) -> None:
    broker, pki = managed
    settings = _settings(
        broker.address("TLS"), tmp_path, KAFKA_SECURITY_PROTOCOL="SSL", KAFKA_SSL_CAFILE=str(pki.ca)
    )
    await _round_trip(settings)


async def test_tls_refuses_a_broker_signed_by_another_ca(
    managed: tuple[LocalKafka, Pki], tmp_path: Path
) -> None:
    broker, pki = managed
    settings = _settings(
        broker.address("TLS"),
        tmp_path,
        KAFKA_SECURITY_PROTOCOL="SSL",
        KAFKA_SSL_CAFILE=str(pki.stranger_cert),
    )
    await _refused(settings)


async def test_mutual_tls_with_a_client_certificate(
    managed: tuple[LocalKafka, Pki], tmp_path: Path
) -> None:
    broker, pki = managed
    settings = _settings(
        broker.address("MTLS"),
        tmp_path,
        KAFKA_SECURITY_PROTOCOL="SSL",
        KAFKA_SSL_CAFILE=str(pki.ca),
        KAFKA_SSL_CERTFILE=str(pki.client_cert),
        KAFKA_SSL_KEYFILE=str(pki.client_key),
    )
    await _round_trip(settings)


@pytest.mark.parametrize("client", ["none", "stranger"])
async def test_mutual_tls_refuses_clients_without_a_trusted_certificate(
    managed: tuple[LocalKafka, Pki], tmp_path: Path, client: str
) -> None:
    broker, pki = managed
    env = {"KAFKA_SECURITY_PROTOCOL": "SSL", "KAFKA_SSL_CAFILE": str(pki.ca)}
    if client == "stranger":
        env |= {
            "KAFKA_SSL_CERTFILE": str(pki.stranger_cert),
            "KAFKA_SSL_KEYFILE": str(pki.stranger_key),
        }
    await _refused(_settings(broker.address("MTLS"), tmp_path, **env))


@pytest.mark.parametrize(
    ("mechanism", "user", "password"),
    [
        ("SCRAM-SHA-256", SCRAM_USER, SCRAM_PASSWORD),
        ("SCRAM-SHA-512", SCRAM_USER, SCRAM_PASSWORD),
        ("PLAIN", PLAIN_USER, PLAIN_PASSWORD),
    ],
)
async def test_sasl_ssl(
    managed: tuple[LocalKafka, Pki], tmp_path: Path, mechanism: str, user: str, password: str
) -> None:
    broker, pki = managed
    settings = _settings(
        broker.address("SCRAM"),
        tmp_path,
        KAFKA_SECURITY_PROTOCOL="SASL_SSL",
        KAFKA_SSL_CAFILE=str(pki.ca),
        KAFKA_SASL_MECHANISM=mechanism,
        KAFKA_SASL_USERNAME=user,
        KAFKA_SASL_PASSWORD=password,
    )
    await _round_trip(settings)


async def test_a_wrong_scram_password_is_refused_and_logged(
    managed: tuple[LocalKafka, Pki], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broker, pki = managed
    settings = _settings(
        broker.address("SCRAM"),
        tmp_path,
        KAFKA_SECURITY_PROTOCOL="SASL_SSL",
        KAFKA_SSL_CAFILE=str(pki.ca),
        KAFKA_SASL_MECHANISM="SCRAM-SHA-512",
        KAFKA_SASL_USERNAME=SCRAM_USER,
        KAFKA_SASL_PASSWORD="wrong",
    )
    await _refused(settings)
    # aiokafka reports the bootstrap as a connection failure; the reason is in the log
    assert "invalid credentials with SASL mechanism SCRAM-SHA-512" in caplog.text


async def test_a_processor_runs_over_sasl_ssl_with_scram(
    managed: tuple[LocalKafka, Pki], tmp_path: Path
) -> None:
    broker, pki = managed
    settings = _settings(
        broker.address("SCRAM"),
        tmp_path,
        KAFKA_SECURITY_PROTOCOL="SASL_SSL",
        KAFKA_SSL_CAFILE=str(pki.ca),
        KAFKA_SASL_MECHANISM="SCRAM-SHA-256",
        KAFKA_SASL_USERNAME=SCRAM_USER,
        KAFKA_SASL_PASSWORD=SCRAM_PASSWORD,
    ).with_overrides(web_port=0, web_host="127.0.0.1")
    processor = Processor(settings, ticks=False, faust_options=fast_options())
    await asyncio.wait_for(processor.start(), 90)
    try:
        for _ in range(300):
            if processor.readiness()["ready"]:
                break
            await asyncio.sleep(0.2)
        state = processor.readiness()
        assert state["ready"], state
        assert state["partitions"] == [0, 1]
    finally:
        await processor.stop()
