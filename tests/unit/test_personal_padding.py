"""A sealed value's ciphertext must not give the value away by its length: personal codes
(sex, race, ethnicity, an age band) are short and of lengths of their own."""

from __future__ import annotations

import base64

from reentry_ledger.domain.codes import AgeBand, Ethnicity, Race, Sex, values
from reentry_ledger.domain.personal import (
    SEALED,
    UNPADDED,
    decrypt,
    encrypt,
    new_client_key,
)


def test_every_personal_code_encrypts_to_the_same_length() -> None:
    key = new_client_key()
    codes = [code for codes in (Sex, Race, Ethnicity, AgeBand) for code in values(codes)]
    lengths = {len(base64.b64decode(encrypt(key, "c-1", code)[4:])) for code in codes}
    assert len(lengths) == 1, lengths


def test_padded_texts_read_back_exactly_and_sealed_ones_read_sealed() -> None:
    key = new_client_key()
    for text in ("female", "é" * 40, "x" * 64, "x" * 65, "line\nbreak\t"):
        protected = encrypt(key, "c-1", text)
        assert decrypt(key, "c-1", protected) == text
        assert decrypt(None, "c-1", protected) == SEALED


def test_values_stored_before_padding_still_read() -> None:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key, nonce = new_client_key(), b"\x01" * 12
    unpadded = (
        UNPADDED + base64.b64encode(nonce + AESGCM(key).encrypt(nonce, b"white", b"c-1")).decode()
    )
    assert decrypt(key, "c-1", unpadded) == "white"
