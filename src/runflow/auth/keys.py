"""API key material: random, prefixed, stored only as a hash, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

KEY_PREFIX = "rf_"
LOOKUP_PREFIX_LENGTH = 12


@dataclass(frozen=True)
class KeyMaterial:
    token: str
    lookup_prefix: str
    secret_hash: str


def hash_token(token: str) -> str:
    # Keys carry 256 random bits, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(token.encode()).hexdigest()


def lookup_prefix(token: str) -> str:
    return token[:LOOKUP_PREFIX_LENGTH]


def material_for(token: str) -> KeyMaterial:
    return KeyMaterial(token, lookup_prefix(token), hash_token(token))


def generate_key() -> KeyMaterial:
    return material_for(KEY_PREFIX + secrets.token_urlsafe(32))


def token_matches(token: str, secret_hash: str) -> bool:
    return hmac.compare_digest(hash_token(token), secret_hash)
