"""Postgres connection strings are redacted through libpq's parser, in every form (issue 15,
finding 9): the password never shows, the host and port always do."""

import pytest

from clawbot_assets.adapters.conninfo import postgres_address, redact_conninfo, secrets_of, without_secrets
from clawbot_assets.adapters.rate_limit import redact_url

PASSWORD = "Lim#iter?s3cret"
FORMS = {
    "url": ("postgresql://clawbot:Lim%23iter%3Fs3cret@db.internal:6543/clawbot", "postgresql://clawbot:***@db.internal:6543/clawbot"),
    "url parameter": ("postgresql://clawbot@db.internal:6543/clawbot?password=Lim%23iter%3Fs3cret&sslmode=require",
                      "postgresql://clawbot:***@db.internal:6543/clawbot?sslmode=require"),
    "unencoded # and ?": ("postgresql://clawbot:Lim#iter?s3cret@db.internal:6543/clawbot", "postgresql://clawbot:***@db.internal:6543/clawbot"),
    "key=value": ("host=db.internal port=6543 user=clawbot password='Lim#iter?s3cret' dbname=clawbot",
                  "user=clawbot password=*** dbname=clawbot host=db.internal port=6543"),
    "sslpassword": ("postgres://clawbot@db.internal:6543/clawbot?sslpassword=Lim%23iter%3Fs3cret",
                    "postgresql://clawbot@db.internal:6543/clawbot?sslpassword=***"),
}


@pytest.mark.parametrize("form", FORMS)
def test_every_form_is_redacted_by_the_parser(form):
    conninfo, shown = FORMS[form]
    assert redact_conninfo(conninfo) == shown == redact_url(conninfo)
    assert postgres_address(conninfo) == "db.internal:6543"
    assert PASSWORD in secrets_of(conninfo)
    reason = "FATAL: password authentication failed for 'Lim#iter?s3cret' (Lim%23iter%3Fs3cret)"
    assert "Lim" not in without_secrets(reason, conninfo) and without_secrets(reason, conninfo).count("***") == 2


def test_the_old_pattern_missed_the_parameter_and_the_unencoded_forms():
    """What ``urllib.parse`` makes of them: no password for the parameter form, and for an
    unencoded ``#`` a host of ``clawbot`` and a "port" made of the password's first half."""
    from urllib.parse import urlsplit

    assert urlsplit(FORMS["url parameter"][0]).password is None
    assert urlsplit(FORMS["unencoded # and ?"][0]).password is None


def test_what_libpq_cannot_parse_is_never_shown_nor_its_error():
    for text in ["redis://user:hunter2@host:6379/0", "postgresql://u:hunter2@h/db?limit=x&bogus=1", "hunter2 = = ="]:
        assert "hunter2" not in redact_conninfo(text) and "***" in redact_conninfo(text)
        assert "hunter2" not in without_secrets(f"invalid: {text}", text)
