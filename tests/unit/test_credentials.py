import traceback

import pytest

from clawbot_assets.domain.credentials import CredentialError, clean_credential

TOKEN = "pat-na1-0123456789abcdef"


@pytest.mark.parametrize("raw", [TOKEN, TOKEN + "\n", f"  {TOKEN}\r\n", f"\t{TOKEN} "])
def test_surrounding_whitespace_is_stripped(raw):
    assert clean_credential(raw, "HUBSPOT_ACCESS_TOKEN") == TOKEN


@pytest.mark.parametrize("raw", [f"{TOKEN[:8]}\n{TOKEN[8:]}", f"{TOKEN[:8]} {TOKEN[8:]}", f"{TOKEN}\x00x", f"{TOKEN}\x1bx", "", " \n ", None, 42])
def test_unusable_values_are_refused_naming_the_variable_never_the_value(raw):
    with pytest.raises(CredentialError) as raised:
        clean_credential(raw, "HUBSPOT_ACCESS_TOKEN")
    assert "HUBSPOT_ACCESS_TOKEN" in str(raised.value)
    _assert_chain_never_holds(raised.value, [TOKEN, TOKEN[:8], TOKEN[8:]])


def _assert_chain_never_holds(error: BaseException, secrets: list[str]) -> None:
    seen = error
    while seen is not None:
        text = "".join(traceback.format_exception(seen)) + repr(seen.args)
        assert not any(secret in text for secret in secrets)
        seen = seen.__cause__ or seen.__context__
