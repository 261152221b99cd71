"""Extra listeners of the development broker: TLS, mutual TLS and SASL, as managed Kafka
services offer them, for tests of footfall's client settings against a real broker."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["SCRAM_MECHANISMS", "BrokerTls", "Listener"]

SCRAM_MECHANISMS = ("SCRAM-SHA-256", "SCRAM-SHA-512")
_SCRAM_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule"
_PLAIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule"


@dataclass(frozen=True, slots=True)
class BrokerTls:
    """The broker's key and certificate (a PKCS#12 keystore) and the CA it trusts for
    client certificates (a PEM file)."""

    keystore: Path
    keystore_password: str = field(repr=False)
    truststore: Path

    def properties(self) -> dict[str, str]:
        return {
            "ssl.keystore.type": "PKCS12",
            "ssl.keystore.location": str(self.keystore),
            "ssl.keystore.password": self.keystore_password,
            "ssl.truststore.type": "PEM",
            "ssl.truststore.location": str(self.truststore),
        }


@dataclass(frozen=True, slots=True)
class Listener:
    """One more listener of the broker on 127.0.0.1.

    ``name`` is the listener's name (``TLS``, ``MTLS``, ``SCRAM``, ...), ``protocol`` one of
    ``SSL``, ``SASL_SSL`` or ``SASL_PLAINTEXT``. ``client_auth`` ``required`` asks every
    client for a certificate signed by the broker's CA (mutual TLS). SASL listeners
    accept ``mechanisms``: the SCRAM users are created in the broker's storage (see
    ``LocalKafka(scram_users=...)``), PLAIN users are ``plain_users`` here.
    """

    name: str
    protocol: str
    port: int = 0
    client_auth: str = "none"
    mechanisms: tuple[str, ...] = ()
    plain_users: Mapping[str, str] = field(default_factory=dict, repr=False)

    def properties(self) -> dict[str, str]:
        """The listener's own broker properties (``listener.name.<name>.*``)."""
        prefix = f"listener.name.{self.name.lower()}"
        props: dict[str, str] = {}
        if self.protocol in ("SSL", "SASL_SSL"):
            props[f"{prefix}.ssl.client.auth"] = self.client_auth
        if self.protocol.startswith("SASL"):
            props[f"{prefix}.sasl.enabled.mechanisms"] = ",".join(self.mechanisms)
            for mechanism in self.mechanisms:
                if mechanism == "PLAIN":
                    users = " ".join(f'user_{u}="{p}"' for u, p in self.plain_users.items())
                    config = f"{_PLAIN_MODULE} required {users};"
                else:
                    config = f"{_SCRAM_MODULE} required;"
                props[f"{prefix}.{mechanism.lower()}.sasl.jaas.config"] = config
        return props
