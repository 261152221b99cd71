import orjson

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


def test_query_secrets_unusual_headers_and_body_fields_are_masked() -> None:
    raw = build_command(
        "call_web_page",
        {
            "url": "https://hooks.example.com/x?api_key=K1ey&y=1&access_token=T0ken&sig=S1g",
            "method": "POST",
            "headers": {"Private-Token": "pt-1", "Proxy-Authorization": "Basic cHc=",
                        "X-Forward": "Bearer be4rer", "Accept": "application/json"},
            "body": {"user": {"name": "Ann", "password": "hunter2"},
                     "items": [{"client_secret": "cl1ent"}], "form": "a=1&passwd=pw99"},
        },
    )  # fmt: skip
    text = orjson.dumps(redact_command(raw)).decode()
    for secret in ("K1ey", "T0ken", "S1g", "pt-1", "cHc=", "be4rer", "hunter2", "cl1ent", "pw99"):
        assert secret not in text, secret
    params = redact_command(raw)["action"]["params"]
    assert params["url"].startswith("https://hooks.example.com/x?") and "y=1" in params["url"]
    assert params["headers"]["Accept"] == "application/json"
    assert params["body"]["user"]["name"] == "Ann"
    assert params["body"]["form"].startswith("a=1&passwd=")


def test_user_info_and_secrets_elsewhere_in_the_command_are_masked() -> None:
    raw = build_command("call_web_page", {"url": "https://gh0token@git.example.com/repo"})
    raw["facts"]["current_page"] = "https://shop.example.com/reset?reset_token=rst1&page=2"
    text = orjson.dumps(redact_command(raw)).decode()
    assert "gh0token" not in text and "rst1" not in text
    assert "page=2" in text and "git.example.com/repo" in text
