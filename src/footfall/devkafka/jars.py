"""Fetching the Kafka jars from Maven Central, once, into a cache directory."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

from footfall.devkafka.errors import BrokerError

__all__ = ["KAFKA_VERSION", "LOG4J_VERSION", "ensure_jars", "kafka_home"]

# Kafka 4.1.x: 4.0.0 dropped JoinGroup v0-1 (restored in 4.0.1/4.1.0); 4.1.2 is the
# newest patch release of the 4.1 line. Kafka 4.x logs through slf4j 1.7, so the
# binding is log4j-slf4j-impl (not the slf4j2 one).
KAFKA_VERSION = "4.1.2"
LOG4J_VERSION = "2.24.3"

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>footfall.dev</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>{kafka}</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>{kafka}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>{log4j}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>{log4j}</version>
    </dependency>
  </dependencies>
</project>
"""


def kafka_home(version: str = KAFKA_VERSION, home: Path | None = None) -> Path:
    """The cache directory: ``$FOOTFALL_KAFKA_HOME`` or ``~/.cache/footfall/kafka-<version>``."""
    if home is not None:
        return home
    env = os.environ.get("FOOTFALL_KAFKA_HOME")
    if env:
        return Path(env)
    return Path.home() / ".cache" / "footfall" / f"kafka-{version}"


def ensure_jars(version: str = KAFKA_VERSION, home: Path | None = None) -> Path:
    """Return the directory holding the broker's jars, downloading them first if needed.

    Safe to call from several processes at once: a file lock serialises the download,
    and a marker file says the copy is complete.
    """
    root = kafka_home(version, home)
    jars = root / "jars"
    marker = root / ".complete"
    if marker.exists():
        return jars
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists():
            return jars
        mvn = shutil.which("mvn")
        if mvn is None:
            raise BrokerError("Maven ('mvn') is not on PATH: it is needed to fetch the Kafka jars")
        pom = root / "pom.xml"
        pom.write_text(_POM.format(kafka=version, log4j=LOG4J_VERSION))
        shutil.rmtree(jars, ignore_errors=True)
        command = [
            mvn,
            "-q",
            "-B",
            "-f",
            str(pom),
            "dependency:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={jars}",
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0 or not any(jars.glob(f"kafka_2.13-{version}.jar")):
            raise BrokerError(
                f"could not fetch Kafka {version} with Maven (exit {result.returncode}):\n"
                f"{result.stdout[-2000:]}{result.stderr[-2000:]}"
            )
        marker.write_text(version + "\n")
    return jars
