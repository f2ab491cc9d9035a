"""The webhook settings (SPEC 1.12): defaults, parsing, and failing fast with the name."""

from __future__ import annotations

import pytest

from itg.errors import ConfigError
from itg.settings import Settings


def test_defaults_follow_the_spec_schedule():
    settings = Settings.from_env({})
    assert settings.webhook_retry_seconds == (5.0, 30.0, 120.0, 600.0, 3600.0, 10800.0)
    assert settings.webhook_give_up_seconds == 86400.0
    assert settings.webhook_timeout_seconds == 10.0
    assert settings.webhook_senders == 4


def test_variables_are_read():
    settings = Settings.from_env(
        {
            "ITG_WEBHOOK_RETRY_SECONDS": " 0.5, 1 ,2",
            "ITG_WEBHOOK_GIVE_UP_SECONDS": "60",
            "ITG_WEBHOOK_TIMEOUT_SECONDS": "2.5",
            "ITG_WEBHOOK_SENDERS": "1",
        }
    )
    assert settings.webhook_retry_seconds == (0.5, 1.0, 2.0)
    assert (settings.webhook_give_up_seconds, settings.webhook_timeout_seconds) == (60.0, 2.5)
    assert settings.webhook_senders == 1


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "ITG_WEBHOOK_RETRY_SECONDS",
            "5,x",
            "ITG_WEBHOOK_RETRY_SECONDS must be comma-separated seconds, got '5,x'",
        ),
        (
            "ITG_WEBHOOK_RETRY_SECONDS",
            "5,,6",
            "ITG_WEBHOOK_RETRY_SECONDS must be comma-separated seconds, got '5,,6'",
        ),
        (
            "ITG_WEBHOOK_RETRY_SECONDS",
            "5,-1",
            "ITG_WEBHOOK_RETRY_SECONDS must be comma-separated seconds >= 0, got '5,-1'",
        ),
        (
            "ITG_WEBHOOK_RETRY_SECONDS",
            "inf",
            "ITG_WEBHOOK_RETRY_SECONDS must be comma-separated seconds >= 0, got 'inf'",
        ),
        (
            "ITG_WEBHOOK_TIMEOUT_SECONDS",
            "0",
            "ITG_WEBHOOK_TIMEOUT_SECONDS must be a number >= 0.1, got '0'",
        ),
        ("ITG_WEBHOOK_SENDERS", "0", "ITG_WEBHOOK_SENDERS must be a number >= 1, got '0'"),
        (
            "ITG_WEBHOOK_GIVE_UP_SECONDS",
            "soon",
            "ITG_WEBHOOK_GIVE_UP_SECONDS must be a number, got 'soon'",
        ),
    ],
)
def test_a_bad_value_fails_naming_the_variable(name: str, value: str, message: str):
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({name: value})
    assert str(raised.value) == message
