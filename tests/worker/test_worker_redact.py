from footfall.worker.redact import MASK, redact_command
from footfall.worker.testing import build_command


def test_credentials_are_masked_in_a_copy() -> None:
    raw = build_command(
        "call_web_page",
        {
            "url": "https://bot:hunter2@hooks.example.com/x?y=1",
            "headers": {"Authorization": "Bearer abc", "X-Api-Key": "k", "X-Trace": "t1",
                        "Cookie": "s=1", "X-Auth-Token": "tok"},
        },
    )  # fmt: skip
    masked = redact_command(raw)
    params = masked["action"]["params"]
    assert params["headers"] == {"Authorization": MASK, "X-Api-Key": MASK, "X-Trace": "t1",
                                 "Cookie": MASK, "X-Auth-Token": MASK}  # fmt: skip
    assert "hunter2" not in params["url"] and params["url"].startswith("https://bot:")
    assert raw["action"]["params"]["headers"]["Authorization"] == "Bearer abc"  # untouched


def test_commands_without_credentials_are_unchanged() -> None:
    raw = build_command("send_email", {"to": ["a@example.com"], "subject": "s"})
    assert redact_command(raw) == raw
    assert redact_command({"odd": True}) == {"odd": True}
