import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.logging import scrub_text
from shared.pii import (
    PiiVault,
    is_valid_national_id,
    mask_account,
    mask_national_id,
    mask_phone,
    national_id_check_char,
    normalize_national_id,
    normalize_phone,
)

# The worked example of GB 11643-1999.
KNOWN_VALID = "11010519491231002X"


def make_id(rng: random.Random) -> str:
    birth = f"{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body = f"520522{birth}{rng.randint(0, 999):03d}"
    return body + national_id_check_char(body)


class TestNationalId:
    def test_published_example_is_valid(self):
        assert normalize_national_id(KNOWN_VALID.lower()) == KNOWN_VALID

    @given(st.randoms(use_true_random=False))
    def test_generated_ids_are_valid(self, rng):
        assert is_valid_national_id(make_id(rng))

    @given(st.randoms(use_true_random=False), st.integers(0, 16), st.integers(1, 9))
    def test_any_single_digit_change_is_caught(self, rng, position, delta):
        good = make_id(rng)
        digit = (int(good[position]) + delta) % 10
        bad = good[:position] + str(digit) + good[position + 1 :]
        # MOD 11-2 detects every single-digit substitution (or the date becomes impossible).
        assert not is_valid_national_id(bad)

    @pytest.mark.parametrize(
        "value",
        [
            "",
            "123",
            "11010519491231002",
            "1101051949123100XX",
            "110105194913310021",
            "11010519491231002Y",
        ],
    )
    def test_malformed_ids_are_refused_with_a_reason(self, value):
        with pytest.raises(ValueError, match="national ID"):
            normalize_national_id(value)

    def test_masking_keeps_only_the_ends(self):
        assert mask_national_id(KNOWN_VALID) == "110***********002X"
        assert mask_phone("13812345678") == "138****5678"
        assert mask_account("6222021234567890123") == "***************0123"


class TestVault:
    def test_round_trip_and_context_binding(self):
        vault = PiiVault("k" * 40)
        token = vault.encrypt(KNOWN_VALID, context="worker.national_id")
        assert KNOWN_VALID not in token
        assert vault.decrypt(token, context="worker.national_id") == KNOWN_VALID
        with pytest.raises(Exception):  # noqa: B017 - a ciphertext moved to another column fails
            vault.decrypt(token, context="payee.account")

    def test_lookup_hash_is_keyed_and_stable(self):
        a, b = PiiVault("a" * 40), PiiVault("b" * 40)
        assert a.lookup_hash("x", context="c") == a.lookup_hash("x", context="c")
        assert a.lookup_hash("x", context="c") != b.lookup_hash("x", context="c")


class TestPhone:
    @pytest.mark.parametrize("value", ["+86 138-1234-5678", "13812345678"])
    def test_normalized(self, value):
        assert normalize_phone(value) == "13812345678"

    @pytest.mark.parametrize("value", ["12812345678", "1381234567", "phone"])
    def test_refused(self, value):
        with pytest.raises(ValueError, match="mobile number"):
            normalize_phone(value)


def test_log_scrubber_masks_personal_data():
    text = f"id {KNOWN_VALID} phone 13812345678 account 6222021234567890123 count 42"
    scrubbed = scrub_text(text)
    assert KNOWN_VALID not in scrubbed and "13812345678" not in scrubbed
    assert "6222021234567890123" not in scrubbed
    assert "count 42" in scrubbed


def test_log_scrubber_masks_long_accounts_and_separated_phones():
    scrubbed = scrub_text("acct 6222020200112233445566 tel 138-0013-8000, +86 139 8501 2345")
    assert "6222020200112233445566" not in scrubbed
    assert "0013" not in scrubbed and "8501" not in scrubbed


def test_standard_library_logs_are_json_and_scrubbed(capsys):
    import json
    import logging

    from shared.logging import configure_logging

    configure_logging("test")
    logging.getLogger("uvicorn.error").error('quote " and newline\nphone 13985012345')
    line = capsys.readouterr().out.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["logger"] == "uvicorn.error"
    assert "13985012345" not in line and record["event"].startswith('quote " and newline')
