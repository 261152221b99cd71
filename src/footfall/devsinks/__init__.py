"""Local stand-ins for the outside world that ``footfall dev`` and docker compose run.

- :class:`SmtpSink` — an SMTP server (aiosmtpd) that accepts every mail and keeps it in
  memory and as ``.eml`` files.
- :class:`WebhookSink` — an aiohttp server that records every request (in memory and as
  JSON lines) and lists what it received at ``/_sink/`` (HTML) and
  ``/_sink/requests`` (JSON); ``/_sink/mails`` lists the mails of an attached SMTP sink.

Both start inside the running event loop with ``await sink.start(host, port)``, which
returns the address they listen on, and stop with ``await sink.stop()``.
"""

from __future__ import annotations

from footfall.devsinks.mail import ReceivedMail, SmtpSink
from footfall.devsinks.webhook import ReceivedRequest, WebhookSink

__all__ = ["ReceivedMail", "ReceivedRequest", "SmtpSink", "WebhookSink"]
