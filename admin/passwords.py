"""Passwords: argon2id hashes and the policy a new password must meet (Danish messages for the form)."""

from __future__ import annotations

import functools
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 256  # argon2 takes any length; the bound keeps a hostile form from costing seconds
COMMON_PASSWORDS = Path(__file__).resolve().parent / "data" / "common_passwords.txt"


class PasswordRejected(ValueError):
    """A new password does not meet the policy; the message says why, in Danish."""


@functools.cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id with the RFC 9106 low-memory profile


@functools.cache
def common_passwords() -> frozenset[str]:
    """The small list shipped with Muni: leaked favourites and Danish variants, lower-cased."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def check_policy(password: str, username: str = "") -> None:
    """Raise PasswordRejected unless `password` is long enough, not common and not the username."""
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(f"Adgangskoden skal være mindst {MIN_LENGTH} tegn.")
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(f"Adgangskoden må højst være {MAX_LENGTH} tegn.")
    lowered = password.lower()
    if lowered in common_passwords() or len(set(lowered)) < 4:
        raise PasswordRejected("Adgangskoden er for almindelig. Vælg en sætning eller flere ord, som kun du kender.")
    if username and username.lower() in lowered:
        raise PasswordRejected("Adgangskoden må ikke indeholde brugernavnet.")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """True when `password` matches; a missing hash costs the same time, so no name is revealed."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher().verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    return _hasher().hash("muni: no such user, same work")
