"""What happens to one command: parse, drop repeats, execute, record the outcome.

Outcomes (see docs/worker.md): executed → a ``done`` record on the ledger topic;
transient failure → an envelope on the retry topic and a ``retrying`` record; permanent
failure or exhausted retries → ``dead-letters``. Nothing here reads the consumer or
commits: :mod:`footfall.worker.service` does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import orjson

from footfall.settings import Settings
from footfall.worker.actions import ACTIONS, Action
from footfall.worker.command import Command, command_from_dict, parse_command
from footfall.worker.context import ActionContext
from footfall.worker.donestore import CommandLedger, ledger_record
from footfall.worker.errors import ActionError, BadCommandError, TransientActionError
from footfall.worker.metrics import WorkerMetrics
from footfall.worker.redact import redact_command
from footfall.worker.retry import RetryEnvelope, RetryPolicy

__all__ = ["DONE_TOPIC", "RETRY_TOPIC", "Executor"]

log = logging.getLogger(__name__)

RETRY_TOPIC = "actions-retry"
DONE_TOPIC = "actions-done"


class Executor:
    """Carries out commands with an :class:`ActionContext` and records their outcome."""

    def __init__(
        self,
        settings: Settings,
        producer: Any,
        ledger: CommandLedger,
        metrics: WorkerMetrics,
        clock: Any,
    ) -> None:
        self._settings = settings
        self._producer = producer
        self.ledger = ledger
        self.metrics = metrics
        self._clock = clock
        self._policy = RetryPolicy(settings.retry_schedule)
        self._retry_topic = settings.topic(RETRY_TOPIC)
        self._done_topic = settings.topic(DONE_TOPIC)
        self._running: dict[str, asyncio.Event] = {}
        self.context: ActionContext | None = None

    async def process(
        self, record: Any, envelope: RetryEnvelope | None
    ) -> asyncio.Future[Any] | None:
        """Carry the command out; return the pending ledger write, if any."""
        if envelope is None:
            source = {"topic": record.topic, "partition": record.partition, "offset": record.offset}
            attempts_before = 0
        else:
            source = envelope.source
            attempts_before = envelope.attempts
        try:
            command = (
                parse_command(record.value)
                if envelope is None
                else command_from_dict(envelope.command)
            )
        except BadCommandError as exc:
            await self._dead_letter(
                record.key, "malformed_command", str(exc), source, _payload(record.value), 0, "?"
            )
            return None
        kind = command.kind
        command_id = command.command_id
        while (running := self._running.get(command_id)) is not None:
            # the same command is running here (re-delivered after a rebalance): wait for
            # its outcome, so that this offset is not finished before that one is
            await running.wait()
        if self.ledger.is_stale(command_id, attempts_before):
            self.metrics.duplicates.labels(kind).inc()
            log.info("dropped a repeated command", extra={"command_id": command_id})
            return None
        action = ACTIONS.get(kind)
        if action is None:
            error = f"unknown action kind {kind!r}"
            await self._dead_letter(
                record.key, "unknown_action", error, source, command.raw, 0, kind
            )
            return None
        done = self._running[command_id] = asyncio.Event()
        try:
            return await self._execute(action, command, attempts_before + 1, record.key, source)
        finally:
            if self._running.get(command_id) is done:
                del self._running[command_id]
            done.set()

    async def _execute(
        self,
        action: Action,
        command: Command,
        attempt: int,
        key: bytes | None,
        source: dict[str, Any],
    ) -> asyncio.Future[Any] | None:
        kind = command.kind
        assert self.context is not None
        started = time.perf_counter()
        try:
            await action(command, self.context)
        except ActionError as exc:
            await self._failed(key, command, exc, attempt, source)
            return None
        except Exception as exc:  # an unexpected error is retried like a transient one
            log.exception("action %s raised unexpectedly", kind)
            wrapped = TransientActionError(f"unexpected {type(exc).__name__} in {kind}")
            await self._failed(key, command, wrapped, attempt, source)
            return None
        finally:
            self.metrics.latency.labels(kind).observe(time.perf_counter() - started)
        self.metrics.executed.labels(kind).inc()
        self.ledger.mark_finished(command.command_id)
        value = ledger_record("done", kind, attempt, self._clock())
        future: asyncio.Future[Any] = await self._producer.send(
            self._done_topic, value, key=command.command_id.encode()
        )
        return future

    async def _record(self, command_id: str, state: str, kind: str, attempts: int) -> None:
        value = ledger_record(state, kind, attempts, self._clock())
        await self._producer.send_and_wait(self._done_topic, value, key=command_id.encode())

    async def _failed(
        self,
        key: bytes | None,
        command: Command,
        exc: ActionError,
        attempt: int,
        source: dict[str, Any],
    ) -> None:
        kind = command.kind
        retriable = exc.retriable
        self.metrics.failed.labels(kind, str(retriable).lower()).inc()
        delay = self._policy.delay(attempt, exc.retry_after) if retriable else None
        extra = {"command_id": command.command_id, "kind": kind, "attempt": attempt}
        if delay is not None:
            log.warning("attempt failed, retrying in %.1fs: %s", delay, exc, extra=extra)
            envelope = RetryEnvelope(command.raw, attempt, self._clock() + delay, source, str(exc))
            await self._producer.send_and_wait(
                self._retry_topic, envelope.encode(), key=command.visitor_id.encode()
            )
            self.ledger.mark_retrying(command.command_id, attempt)
            await self._record(command.command_id, "retrying", kind, attempt)
            self.metrics.retried.labels(kind).inc()
            return
        reason = "retries_exhausted" if retriable else "action_failed"
        log.warning("command failed for good (%s): %s", reason, exc, extra=extra)
        await self._dead_letter(key, reason, str(exc), source, command.raw, attempt, kind)

    async def _dead_letter(
        self,
        key: bytes | None,
        reason: str,
        error: str,
        source: dict[str, Any],
        payload: Any,
        attempts: int,
        kind: str,
    ) -> None:
        letter = {
            "reason": reason,
            "error": error,
            "source": source,
            "payload": redact_command(payload) if isinstance(payload, dict) else payload,
            "attempts": attempts,
            "service": "worker",
        }
        await self._producer.send_and_wait(
            self._settings.topic("dead-letters"), orjson.dumps(letter), key=key
        )
        self.metrics.dead_lettered.labels(kind, reason).inc()

    async def publish(self, topic: str, key: str, value: dict[str, Any]) -> None:
        await self._producer.send_and_wait(
            self._settings.topic(topic), orjson.dumps(value), key=key.encode()
        )


def _payload(value: bytes | None) -> Any:
    if value is None:
        return None
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        return value.decode("utf-8", errors="replace")
