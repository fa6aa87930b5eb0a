"""Container codes: short, unambiguous, printable as a QR label and typeable by hand.

``WF`` + 10 characters of Crockford's base32 (no I, L, O, U), the last one a Luhn mod 32
check character, so a mistyped character or a swap of neighbours is refused before lookup.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PREFIX = "WF"
BODY = 9


def _check(body: str) -> str:
    """Luhn mod N (N = 32): detects every single-character error."""
    n, total, factor = len(ALPHABET), 0, 2
    for char in reversed(body):
        addend = factor * ALPHABET.index(char)
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return ALPHABET[(n - total % n) % n]


def new_code(rng: secrets.SystemRandom | None = None) -> str:
    choice = (rng or secrets.SystemRandom()).choice
    body = "".join(choice(ALPHABET) for _ in range(BODY))
    return f"{PREFIX}{body}{_check(body)}"


def normalise(text: str) -> str:
    """A typed or scanned code in canonical form (upper case, O→0, I/L→1, no spaces or dashes)."""
    text = (text or "").strip().upper().replace("-", "").replace(" ", "")
    if "/" in text:  # a scanned label URL: take its last part
        text = text.rstrip("/").rsplit("/", 1)[-1]
    return text.translate(str.maketrans({"O": "0", "I": "1", "L": "1"}))


def is_valid(code: str) -> bool:
    if len(code) != len(PREFIX) + BODY + 1 or not code.startswith(PREFIX):
        return False
    body, check = code[len(PREFIX) : -1], code[-1]
    return all(c in ALPHABET for c in body) and _check(body) == check
