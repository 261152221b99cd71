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

from footfall.worker.errors import BadCommandError, UnsafePathError
from footfall.worker.logfiles import append_line, check_relative_path
from footfall.worker.mail import Mail, build_message
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


@settings(max_examples=300, deadline=None)
@given(
    st.text(st.characters(codec="utf-8") | st.sampled_from(["\r", "\n", "\u2028"]), max_size=80),
    st.text(max_size=200),
)
def test_no_subject_or_body_adds_a_header(subject: str, body: str) -> None:
    mail = Mail(to=("a@example.com",), subject=subject, body=body)
    breaks = len(subject.splitlines()) > 1 or any(c in subject for c in "\r\n\x00")
    try:
        raw = flatten_message(build_message(mail, "f@example.com", "<i@footfall>", NOW))
    except BadCommandError:
        assert breaks or any(c in subject for c in "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
        return
    assert not breaks
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert set(parsed.keys()) == HEADERS
    assert parsed["To"] == "a@example.com"


@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_ipv4_mapped_addresses_judged_like_their_ipv4(value: int) -> None:
    v4 = ipaddress.IPv4Address(value)
    mapped = ipaddress.IPv6Address(f"::ffff:{v4}")
    assert is_forbidden_address(mapped) == is_forbidden_address(v4)
