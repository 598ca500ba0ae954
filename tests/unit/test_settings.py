"""The one settings object, read from the environment, and tracing switched by it."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from chalicelib.settings import DEFAULT_CONTENT_TYPES, Settings


def test_reads_prefixed_variables_and_the_lambda_region() -> None:
    settings = Settings.from_environment(
        {
            "AWS_REGION": "eu-west-1",
            "INSIGHT_UPLOAD_BUCKET": "uploads-x",
            "INSIGHT_MAX_PAGES": "7",
            "INSIGHT_ALLOWED_CONTENT_TYPES": '["application/pdf"]',
            "INSIGHT_DETAILED_TRACING": "true",
            "UPLOAD_BUCKET": "not-ours",
        }
    )
    assert settings.region == "eu-west-1"
    assert settings.upload_bucket == "uploads-x"
    assert settings.max_pages == 7
    assert settings.allowed_content_types == ("application/pdf",)
    assert settings.detailed_tracing is True


def test_defaults_without_variables() -> None:
    settings = Settings.from_environment({})
    assert settings.allowed_content_types == DEFAULT_CONTENT_TYPES
    assert settings.detailed_tracing is False
    assert (settings.chat_bot_id, settings.chat_bot_alias_id, settings.chat_bot_locale) == ("", "", "en_US")


def test_the_chat_bot_is_named_by_the_deployment() -> None:
    settings = Settings.from_environment(
        {
            "INSIGHT_CHAT_BOT_ID": "QXYZ12AB3C",
            "INSIGHT_CHAT_BOT_ALIAS_ID": "TSTALIASID",
            "INSIGHT_CHAT_BOT_LOCALE": "en_GB",
        }
    )
    assert (settings.chat_bot_id, settings.chat_bot_alias_id, settings.chat_bot_locale) == (
        "QXYZ12AB3C",
        "TSTALIASID",
        "en_GB",
    )


def test_bad_values_are_refused_with_the_variable_named() -> None:
    with pytest.raises(ValueError, match="INSIGHT_ALLOWED_CONTENT_TYPES must be a JSON array"):
        Settings.from_environment({"INSIGHT_ALLOWED_CONTENT_TYPES": "application/pdf"})
    with pytest.raises(ValidationError, match="max_pages"):
        Settings.from_environment({"INSIGHT_MAX_PAGES": "0"})


PROBE = """
import sys
from functions.record_success.handler import lambda_handler
from chalicelib.observability import traced, tracer
calls = []
handler = traced(lambda event, context: calls.append(event) or "done")
assert handler({"x": 1}, None) == "done" and calls == [{"x": 1}]
print("xray" if "aws_xray_sdk" in sys.modules else "no-xray", type(tracer()).__name__)
"""


@pytest.mark.parametrize(
    ("detailed", "expected"), [("false", "no-xray NoneType"), ("true", "xray Tracer")]
)
def test_the_xray_sdk_is_loaded_only_with_detailed_tracing(detailed: str, expected: str) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",  # no daemon to send segments to
        "INSIGHT_DETAILED_TRACING": detailed,
    }
    run = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == expected.split()
