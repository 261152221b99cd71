import base64

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from footfall.worker.errors import ConfigurationError
from footfall.worker.signing import parse_secrets, webhook_headers

SECRET_A = "whsec_" + base64.b64encode(b"first secret key 0123456789").decode()
SECRET_B = "whsec_" + base64.b64encode(b"second secret key 987654321").decode()


def test_signature_verifies_with_standardwebhooks() -> None:
    import time

    body = b'{"command":{"command_id":"c1"},"payload":{"a":1}}'
    now = int(time.time())
    headers = webhook_headers(parse_secrets(SECRET_A, "X"), "c1", now, body)
    assert headers["webhook-id"] == "c1"
    assert headers["webhook-timestamp"] == str(now)
    assert Webhook(SECRET_A).verify(body, headers) == {
        "command": {"command_id": "c1"},
        "payload": {"a": 1},
    }
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET_A).verify(body.replace(b"1}", b"2}"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET_B).verify(body, headers)


def test_rotation_gives_one_signature_per_secret() -> None:
    import time

    body = b"{}"
    now = int(time.time())
    headers = webhook_headers(parse_secrets(f"{SECRET_A} , {SECRET_B}", "X"), "id", now, body)
    signatures = headers["webhook-signature"].split(" ")
    assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures)
    Webhook(SECRET_A).verify(body, headers)
    Webhook(SECRET_B).verify(body, headers)


def test_stale_timestamp_fails_verification() -> None:
    import time

    body = b"{}"
    stale = int(time.time()) - 3600
    headers = webhook_headers(parse_secrets(SECRET_A, "X"), "id", stale, body)
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET_A).verify(body, headers)


@pytest.mark.parametrize("value", [None, "", "   ", "whsec_***not base64***"])
def test_bad_secret_values_name_the_variable_not_the_value(value: str | None) -> None:
    with pytest.raises(ConfigurationError) as info:
        parse_secrets(value, "ACME_SECRET")
    assert "ACME_SECRET" in str(info.value)
    if value and value.strip():
        assert value not in str(info.value)


def test_unpadded_secret_is_accepted_like_the_library() -> None:
    raw = base64.b64encode(b"abcde").decode().rstrip("=")
    assert parse_secrets("whsec_" + raw, "X") == [b"abcde"]
