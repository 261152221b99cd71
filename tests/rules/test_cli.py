"""``footfall rules validate``: exit codes, summary on stdout, every problem on stderr."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from footfall.cli.main import main

from .helpers import raw_rule


def test_valid_files_exit_zero_with_a_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.json").write_bytes(
        orjson.dumps([raw_rule(id="a"), raw_rule(id="b", enabled=False)])
    )
    (tmp_path / "c.yaml").write_text(
        "id: c\nname: C\nevent: live_chat_ended\nactions: [{kind: remove_from_list}]\n"
    )
    assert main(["rules", "validate", str(tmp_path)]) == 0
    out, err = capsys.readouterr()
    assert out == "3 rules valid (2 enabled) in 2 files\n"
    assert err == ""


def test_invalid_files_exit_two_with_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.json").write_bytes(
        orjson.dumps([raw_rule(id="a", when={"hits": {"gtee": 1}}), raw_rule(id="a", event="nope")])
    )
    (tmp_path / "b.yaml").write_text("id: b\nname: [\n")
    assert main(["rules", "validate", str(tmp_path / "a.json"), str(tmp_path / "b.yaml")]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert lines[0].startswith(f"{tmp_path}/b.yaml: invalid YAML at line 3")
    assert lines[1:] == [
        f"a: when.hits: unknown operator 'gtee' (in {tmp_path}/a.json[0])",
        "a: event: unknown event 'nope' (use live_chat_accepted, live_chat_ended, "
        "live_chat_invitation_ignored, live_chat_invited, live_chat_message, live_chat_rejected, "
        "live_chat_started, online_activity, online_visitor_purged, online_visitor_removed) "
        f"(in {tmp_path}/a.json[1])",
        f"a: id: duplicate id (first defined in {tmp_path}/a.json[0]) (in {tmp_path}/a.json[1])",
    ]


def test_validate_needs_a_path(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["rules", "validate"])
    assert exited.value.code == 2
