"""Access codes: normalisation, format checks and salted scrypt hashes (stdlib only).

Stored form: ``scrypt$<n>$<r>$<p>$<salt hex>$<hash hex>`` with a random 16-byte salt per record, so
equal codes never share a hash and a stolen table cannot be reversed with one precomputed list.
Verification always runs exactly one scrypt computation and compares in constant time; for an
unknown application number `verify` is called with `DUMMY` so that both paths cost the same.

Command line (produces the hashes for a data package; codes never go into it in plain text)::

    python -m opendata.applications.codes K7M2Q9 P4X8N2      # hash the given codes
    python -m opendata.applications.codes --new 3             # invent codes and hash them
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import re
import secrets
import unicodedata

N, R, P, DKLEN = 2**14, 8, 1, 32
SALT_BYTES = 16
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # for new codes: no 0/O, 1/I look-alikes
CODE = re.compile(r"^[A-Z0-9]{6}$")
NUMBER = re.compile(r"^[A-Z]{2,3}-[0-9]{4}-[0-9]{6}$")
_DASHES = dict.fromkeys(map(ord, "‐‑‒–—―−"), "-")


def _squash(value: str) -> str:
    text = value
    for _ in range(3):  # NFKC, dropping spaces and upper-casing can enable one another
        squashed = "".join(unicodedata.normalize("NFKC", text).translate(_DASHES).split()).upper()
        if squashed == text:
            break
        text = squashed
    return text


def normalize_code(value: str) -> str:
    """Upper case, whitespace removed ("k7m 2q9" → "K7M2Q9")."""
    return _squash(value)


def normalize_number(value: str) -> str:
    """Upper case, whitespace removed, typographic dashes as '-' ("du–2026–004711")."""
    return _squash(value)


def is_valid_code(code: str) -> bool:
    return bool(CODE.fullmatch(code))


def is_valid_number(number: str) -> bool:
    return bool(NUMBER.fullmatch(number))


def _derive(code: str, salt: bytes, n: int = N, r: int = R, p: int = P) -> bytes:
    return hashlib.scrypt(
        code.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=DKLEN, maxmem=64 * 1024 * 1024
    )


def hash_code(code: str) -> str:
    """Salted scrypt hash of a (normalised) access code in the stored form."""
    salt = secrets.token_bytes(SALT_BYTES)
    return f"scrypt${N}${R}${P}${salt.hex()}${_derive(code, salt).hex()}"


def _parse(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return None
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, digest = bytes.fromhex(parts[4]), bytes.fromhex(parts[5])
    except ValueError:
        return None
    if n != N or r != R or p != P or len(digest) != DKLEN:
        return None  # other cost parameters would make timing depend on the record
    return n, r, p, salt, digest


def is_stored_hash(stored: str) -> bool:
    """True for a hash in the stored form with this module's cost parameters."""
    return _parse(stored) is not None


# A well-formed hash of a code nobody knows: verifying against it costs what a real check costs.
DUMMY = f"scrypt${N}${R}${P}${'00' * SALT_BYTES}${'00' * DKLEN}"


def verify(code: str, stored: str) -> bool:
    """True when `code` matches `stored`; always one scrypt run and a constant-time compare."""
    parsed = _parse(stored) or _parse(DUMMY)
    assert parsed is not None
    n, r, p, salt, digest = parsed
    candidate = _derive(code, salt, n, r, p)
    return hmac.compare_digest(candidate, digest) and stored != DUMMY


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(6))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("codes", nargs="*", help="access codes to hash (6 characters A-Z, 0-9)")
    parser.add_argument("--new", type=int, default=0, help="invent this many codes and hash them")
    args = parser.parse_args(argv)
    codes = [normalize_code(c) for c in args.codes] + [new_code() for _ in range(args.new)]
    for code in codes:
        if not is_valid_code(code):
            parser.error(f"{code!r} is not 6 characters A-Z/0-9")
        print(f"{code}  {hash_code(code)}")


if __name__ == "__main__":
    main()
