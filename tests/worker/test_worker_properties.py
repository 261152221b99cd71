"""Property tests for the worker's open-ended inputs: log paths, mail headers, addresses."""

from __future__ import annotations

import email
import ipaddress
import os
import tempfile
from datetime import UTC, datetime
from email import policy
from pathlib import Path

from aiosmtplib.email import flatten_message
from hypothesis import given, settings
from hypothesis import strategies as st

from footfall.worker.errors import UnsafePathError
from footfall.worker.logfiles import append_line, check_relative_path
from footfall.worker.mail import Mail, build_message, header_text
from footfall.worker.netguard import is_forbidden_address

PATH_CHARS = st.sampled_from(["a", "b", ".", "..", "/", "\\", ":", " ", "\x00", "ü", "~"])
NOW = datetime(2026, 11, 26, tzinfo=UTC)
HEADERS = {
    "From",
    "To",
    "Subject",
    "Message-ID",
    "Date",
    "Auto-Submitted",
    "MIME-Version",
    "Content-Type",
    "Content-Transfer-Encoding",
}


@settings(max_examples=300, deadline=None)
@given(st.lists(PATH_CHARS, min_size=1, max_size=12).map("".join))
def test_accepted_log_paths_stay_inside_the_root(path: str) -> None:
    try:
        check_relative_path(path)
    except UnsafePathError:
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "logs"
        try:
            append_line(root, path, "x\n")
        except UnsafePathError:
            return
        written = [Path(d) / f for d, _, files in os.walk(tmp) for f in files]
        assert len(written) == 1
        assert written[0].resolve().is_relative_to(root.resolve())


ENCODED_PIECES = st.sampled_from(
    ["=?utf-8?q?", "=?utf-8?b?", "?=", "=0D", "=0A", "=C2=85", "DQo=", "Bcc:", "\r", "\n", "\u2028"]
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(st.characters(codec="utf-8"), max_size=10) | ENCODED_PIECES, max_size=12).map(
        "".join
    ),
    st.text(max_size=200),
)
def test_no_subject_or_body_adds_a_header(subject: str, body: str) -> None:
    mail = Mail(to=("a@example.com",), subject=subject, body=body)
    raw = flatten_message(build_message(mail, "f@example.com", "<i@footfall>", NOW))
    head = raw.partition(b"\r\n\r\n")[0]
    names = {line.split(b":")[0].decode() for line in head.split(b"\r\n") if line[:1] != b" "}
    assert names == HEADERS
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert set(parsed.keys()) == HEADERS
    assert parsed["To"] == "a@example.com"
    assert parsed["Subject"] == header_text(subject)


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_ipv4_mapped_addresses_judged_like_their_ipv4(value: int) -> None:
    v4 = ipaddress.IPv4Address(value)
    mapped = ipaddress.IPv6Address(f"::ffff:{v4}")
    assert is_forbidden_address(mapped) == is_forbidden_address(v4)
