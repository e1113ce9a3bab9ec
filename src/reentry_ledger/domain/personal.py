"""Personal data under each client's own key, so that destroying the key erases it.

A protected value is the text `pd2:` + base64(nonce + AES-GCM ciphertext), bound to the client's
id, of the text padded with NUL bytes to a multiple of 64 bytes (64 at least): a ciphertext's
length would otherwise give away a short value once its key is gone (every sex, ethnicity and
most race codes have lengths of their own). Values stored as `pd1:` (unpadded, before) still
read. Events store protected values; their hashes cover the ciphertext, so a client whose key
is destroyed still verifies, and still counts in every report (which reads codes, never these).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from dataclasses import fields, is_dataclass, replace
from functools import cache
from typing import Any, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel

PREFIX = "pd2:"  # padded (what is written now)
UNPADDED = "pd1:"  # as written before padding: read, never written
BLOCK = 64  # plain texts are padded to a multiple of this many bytes
SEALED = "[sealed]"
UNREADABLE = "[unreadable]"
Protect = Callable[[str], str]
M = TypeVar("M", bound=BaseModel)


def new_client_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def encrypt(key: bytes, client_id: str, text: str) -> str:
    return encryptor(key, client_id)(text)


def encryptor(key: bytes, client_id: str) -> Protect:
    """Encrypts texts under one client's key, its cipher made once (a quarter of the cost of
    making it for each value, when a client has many)."""
    cipher, bound = AESGCM(key), client_id.encode()

    def protect(text: str) -> str:
        nonce = os.urandom(12)
        sealed = cipher.encrypt(nonce, padded(text.encode()), bound)
        return PREFIX + base64.b64encode(nonce + sealed).decode()

    return protect


def padded(plain: bytes) -> bytes:
    """To a multiple of BLOCK bytes, with NULs (which no text the ledger takes holds)."""
    return plain.ljust(max(BLOCK, -(-len(plain) // BLOCK) * BLOCK), b"\0")


def decrypt(key: bytes | None, client_id: str, value: str) -> str:
    """The plain text, or [sealed] when the client's key is gone."""
    if not is_protected(value):
        return value
    if key is None:
        return SEALED
    raw = base64.b64decode(value[len(PREFIX) :])
    try:
        plain = AESGCM(key).decrypt(raw[:12], raw[12:], client_id.encode())
    except InvalidTag:
        return UNREADABLE
    return (plain.rstrip(b"\0") if value.startswith(PREFIX) else plain).decode()


def is_protected(value: Any) -> bool:
    return isinstance(value, str) and value.startswith((PREFIX, UNPADDED))


def protect_value(value: Any, protect: Protect) -> Any:
    """Strings, the strings in a list, the values of a mapping; None and empty stay as they are."""
    if isinstance(value, str):
        return protect(value) if value else value
    if isinstance(value, list | tuple):
        return type(value)(protect_value(item, protect) for item in value)
    if isinstance(value, dict):
        return {key: protect_value(item, protect) for key, item in value.items()}
    return value


PathTree = dict[str, "PathTree"]  # the fields below each name; empty: protect it whole


def protect_paths(model: M, paths: tuple[str, ...], protect: Protect) -> M:
    """The model with the text at each dotted path protected, and nothing else: the path
    `goals.need.raw_text` reaches every goal's need and protects its raw text, not its code.
    What holds nothing to protect is returned as it is, not copied."""
    protected: M = protect_at(model, path_tree(paths), protect)
    return protected


@cache
def path_tree(paths: tuple[str, ...]) -> PathTree:
    tree: PathTree = {}
    for path in paths:
        below = tree
        for name in path.split("."):
            below = below.setdefault(name, {})
    return tree


def protect_at(value: Any, tree: PathTree, protect: Protect) -> Any:
    if not tree:
        return protect_value(value, protect)
    if isinstance(value, list | tuple):
        items = [protect_at(item, tree, protect) for item in value]
        unchanged = all(new is old for new, old in zip(items, value, strict=True))
        return value if unchanged else type(value)(items)
    is_model = isinstance(value, BaseModel)
    if not is_model and not isinstance(value, dict):
        return value
    changes = {}
    for name, below in tree.items():
        old = getattr(value, name) if is_model else value.get(name)
        if old is not None:
            new = protect_at(old, below, protect)
            if new is not old:
                changes[name] = new
    if not changes:
        return value
    if is_model:
        return value.model_copy(update=changes)
    return {**value, **changes}


def reveal_value(value: Any, reveal: Callable[[str], str]) -> Any:
    """Every protected string revealed: in lists, mappings, dataclasses (a case state) and
    the event values a case state holds (a plan's goals)."""
    if is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: reveal_value(getattr(value, f.name), reveal) for f in fields(value)}
        return replace(value, **changes)
    if isinstance(value, BaseModel):
        names = type(value).model_fields
        return value.model_copy(
            update={name: reveal_value(getattr(value, name), reveal) for name in names}
        )
    if isinstance(value, str):
        return reveal(value)
    if isinstance(value, tuple):
        return tuple(reveal_value(item, reveal) for item in value)
    if isinstance(value, list):
        return [reveal_value(item, reveal) for item in value]
    if isinstance(value, dict):
        return {key: reveal_value(item, reveal) for key, item in value.items()}
    return value
