"""Encryption at rest: every stored event encrypted with AES-GCM under the ledger's key.

The key (16, 24 or 32 bytes, base64) comes from REENTRY_LEDGER_KEY, or from the file named by
REENTRY_LEDGER_KEY_FILE. It is handed to the library's own cipher (eventsourcing.cryptography),
which encrypts each event's state; hashes are over the plaintext stored form, so verification
and exports do not depend on the key in use.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.cryptography import AESCipher

from reentry_ledger.domain.errors import InvalidInput

KEY_ENV_VAR = "REENTRY_LEDGER_KEY"
KEY_FILE_ENV_VAR = "REENTRY_LEDGER_KEY_FILE"
CIPHER_TOPIC = "eventsourcing.cryptography:AESCipher"


def new_key() -> str:
    return AESCipher.create_key(32)


def configured_key() -> str | None:
    key = os.environ.get(KEY_ENV_VAR, "").strip()
    path = os.environ.get(KEY_FILE_ENV_VAR, "").strip()
    if not key and path:
        try:
            key = Path(path).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise InvalidInput(
                f"{KEY_FILE_ENV_VAR}: cannot read {path!r} ({error.strerror})"
            ) from None
    if not key:
        return None
    try:
        size = len(base64.b64decode(key, validate=True))
    except (binascii.Error, ValueError):
        raise InvalidInput(
            "the ledger key is not base64 (make one with `reentry-ledger key new`)"
        ) from None
    if size not in (16, 24, 32):
        raise InvalidInput(f"the ledger key is {size} bytes; it must be 16, 24 or 32")
    return key


def cipher_settings() -> dict[str, str]:
    """The library's cipher settings, when a key is configured."""
    key = configured_key()
    return {"CIPHER_TOPIC": CIPHER_TOPIC, "CIPHER_KEY": key} if key else {}


WRAP_KEY_FILE_ENV_VAR = "REENTRY_LEDGER_WRAP_KEY_FILE"


def wrap_key_from(path: Path) -> bytes:
    """The key a backup's client keys are wrapped under: 32 bytes, base64, in a file the
    custodian holds (make one with `reentry-ledger key new`)."""
    try:
        text = path.read_text(encoding="utf-8").strip()
        key = base64.b64decode(text, validate=True)
    except OSError as error:
        raise InvalidInput(f"wrap key file {str(path)!r}: {error.strerror}") from None
    except (binascii.Error, ValueError):
        raise InvalidInput(
            f"wrap key file {str(path)!r} does not hold a base64 key "
            "(make one with `reentry-ledger key new`)"
        ) from None
    if len(key) != 32:
        raise InvalidInput(f"wrap key file {str(path)!r} holds {len(key)} bytes; it must be 32")
    return key


def wrap(wrap_key: bytes, client: str, key: bytes) -> str:
    """A client's key encrypted under the wrap key, bound to the client's id."""
    nonce = os.urandom(12)
    ciphertext = AESGCM(wrap_key).encrypt(nonce, key, client.encode())
    return base64.b64encode(nonce + ciphertext).decode()


def unwrap(wrap_key: bytes, client: str, wrapped: str) -> bytes:
    raw = base64.b64decode(wrapped)
    try:
        return AESGCM(wrap_key).decrypt(raw[:12], raw[12:], client.encode())
    except InvalidTag:
        raise InvalidInput(
            "the wrap key is not the one this backup's client keys were wrapped under"
        ) from None
