import logging

import pytest
from django.core.management import call_command

from tunewave.logging import RedactTokensFilter, redact

pytestmark = pytest.mark.django_db


def test_the_openapi_schema_documents_every_endpoint_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path_ in ["/users/me:", "/users/{user_id}:", "/users/me/avatar:", "/auth/config:", "/auth/token/refresh:"]:
        assert path_ in text


def test_swagger_ui_is_served(client):
    assert client.get("/api/docs/").status_code == 200
    assert client.get("/api/schema/").status_code == 200


def test_logs_never_carry_tokens():
    line = 'WSCONNECT /ws/chat/1?token=eyJhbGciOi.abc.def "GET /auth/google/callback?state=s3cr3t&code=4/0Ab"'
    cleaned = redact(line)
    assert "eyJhbGciOi" not in cleaned
    assert "s3cr3t" not in cleaned
    assert "4/0Ab" not in cleaned
    assert "token=[redacted]" in cleaned
    assert redact("Authorization: Bearer abc.def.ghi") == "Authorization: Bearer [redacted]"


def test_the_filter_rewrites_log_records():
    record = logging.LogRecord("daphne", logging.INFO, __file__, 1, "%s", ("/ws/chat/x?token=abc",), None)
    RedactTokensFilter().filter(record)
    assert record.getMessage() == "/ws/chat/x?token=[redacted]"
