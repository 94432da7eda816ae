"""Passphrase encryption of snapshot parts: scrypt for the key, AES-256-GCM in chunks.

A part can be far larger than memory, so it is sealed in chunks of CHUNK bytes,
each with its own nonce (a random per-part prefix + the chunk counter) and, as
associated data, the part's name and whether the chunk is the last one. Chunks
cannot be reordered, moved to another part, or cut off at a chunk boundary
without the tag check failing. All of the cryptography is the `cryptography`
package's; nothing here is a cipher of our own.

The manifest of an encrypted snapshot is authenticated too: ``manifest_mac`` is an
HMAC-SHA256 over everything else the manifest says (the ``encryption`` record, every
part's size and sha256 included), keyed by HKDF from the scrypt-derived key. Without
the passphrase nobody can edit the manifest (say, strip ``encryption`` and put plaintext
parts in) and make it check out; a stack that has saved encrypted snapshots refuses an
unencrypted one unless told (``--allow-unencrypted``), so stripping does not pass either.

Stored layout of an encrypted part: MAGIC, 8-byte nonce prefix, then per chunk a
4-byte big-endian ciphertext length and the ciphertext (plaintext + 16-byte tag).
The stream always ends with a chunk flagged last (possibly empty).
"""

from __future__ import annotations

import base64
import os
import struct
from typing import Any, Iterable, Iterator, Mapping

from wizard.core.support.errors import SnapshotInvalid

MAGIC = b"LSNAPENC1"
CHUNK = 1 << 20
PREFIX = 8
TAG = 16
# scrypt cost: 2**15 x 8 x 128 bytes = 32 MiB of memory, about a tenth of a second.
SCRYPT = {"n": 2 ** 15, "r": 8, "p": 1}
CHECK_TEXT = b"launcher snapshot key check"
MAC_INFO = b"launcher snapshot manifest mac v1"


def new_encryption(passphrase: str) -> tuple[bytes, dict[str, Any]]:
    """A fresh key for one snapshot, and what the manifest records to derive and check it again."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt = os.urandom(16)
    key = derive_key(passphrase, salt, SCRYPT)
    nonce = os.urandom(12)
    check = nonce + AESGCM(key).encrypt(nonce, CHECK_TEXT, b"key-check")
    return key, {"cipher": "AES-256-GCM", "chunk": CHUNK, "kdf": "scrypt", **SCRYPT,
                 "salt": _b64(salt), "check": _b64(check)}


def derive_key(passphrase: str, salt: bytes, cost: Mapping[str, Any]) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=int(cost["n"]), r=int(cost["r"]), p=int(cost["p"])).derive(
        passphrase.encode("utf-8"))


def unlock(passphrase: str, encryption: Mapping[str, Any]) -> bytes:
    """The snapshot's key from its passphrase; SnapshotInvalid when the passphrase is wrong."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        salt = base64.b64decode(encryption["salt"])
        check = base64.b64decode(encryption["check"])
        key = derive_key(passphrase, salt, encryption)
    except (KeyError, ValueError, TypeError) as exc:
        raise SnapshotInvalid(f"the snapshot's encryption record is damaged ({exc})",
                              "this snapshot cannot be decrypted; use another one") from None
    try:
        AESGCM(key).decrypt(check[:12], check[12:], b"key-check")
    except InvalidTag:
        raise SnapshotInvalid("wrong passphrase for this encrypted snapshot",
                              "set LAUNCHER_SNAPSHOT_PASSPHRASE to the passphrase it was saved with") from None
    return key


def manifest_mac(key: bytes, manifest: Mapping[str, Any]) -> str:
    """The HMAC of everything a manifest says but its own hash and MAC, keyed from the snapshot's key."""
    import json

    from cryptography.hazmat.primitives import hashes, hmac
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    mac_key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=MAC_INFO).derive(key)
    body = {name: value for name, value in manifest.items() if name not in ("manifest_sha256", "manifest_mac")}
    signer = hmac.HMAC(mac_key, hashes.SHA256())
    signer.update(json.dumps(body, sort_keys=True, separators=(",", ":")).encode())
    return signer.finalize().hex()


def check_manifest_mac(key: bytes, manifest: Mapping[str, Any], shown: str) -> None:
    """SnapshotInvalid unless the manifest carries the MAC its key gives (compared in constant time)."""
    import hmac

    given = manifest.get("manifest_mac")
    if not isinstance(given, str) or not hmac.compare_digest(given, manifest_mac(key, manifest)):
        raise SnapshotInvalid(f"the manifest of encrypted snapshot {shown} is not authenticated by its passphrase "
                              "(edited, or saved by a launcher that did not sign manifests)",
                              "the snapshot cannot be trusted; nothing was changed")


def encrypt_stream(key: bytes, part: str, chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Seal a stream of bytes of any size; yields the stored bytes."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    cipher = AESGCM(key)
    prefix = os.urandom(PREFIX)
    yield MAGIC + prefix
    counter = 0
    pending = b""
    for data in _rechunk(chunks):
        if pending:
            yield _seal(cipher, prefix, counter, part, pending, last=False)
            counter += 1
        pending = data
    yield _seal(cipher, prefix, counter, part, pending, last=True)


def decrypt_stream(key: bytes, part: str, stored: Iterable[bytes]) -> Iterator[bytes]:
    """Open what encrypt_stream wrote; SnapshotInvalid on any tampering or truncation."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    cipher = AESGCM(key)
    buffer = bytearray()
    source = iter(stored)

    def take(count: int) -> bytes:
        while len(buffer) < count:
            more = next(source, None)
            if more is None:
                raise SnapshotInvalid(f"part {part} is truncated", "the snapshot is damaged; use another one")
            buffer.extend(more)
        data = bytes(buffer[:count])
        del buffer[:count]
        return data

    if take(len(MAGIC)) != MAGIC:
        raise SnapshotInvalid(f"part {part} is not an encrypted snapshot part", "the snapshot is damaged")
    prefix = take(PREFIX)
    counter = 0
    while True:
        (length,) = struct.unpack(">I", take(4))
        if length < TAG or length > CHUNK + TAG:
            raise SnapshotInvalid(f"part {part} has a damaged chunk header", "the snapshot is damaged")
        sealed = take(length)
        nonce = prefix + struct.pack(">I", counter)
        for last in (False, True):
            try:
                plain = cipher.decrypt(nonce, sealed, _aad(part, last))
                break
            except InvalidTag:
                continue
        else:
            raise SnapshotInvalid(f"part {part} does not decrypt (damaged, or not from this snapshot)",
                                  "the snapshot is damaged; use another one")
        if plain:
            yield plain
        if last:
            if buffer or next(source, None):
                raise SnapshotInvalid(f"part {part} has data after its end", "the snapshot is damaged")
            return
        counter += 1


def _seal(cipher, prefix: bytes, counter: int, part: str, data: bytes, *, last: bool) -> bytes:
    sealed = cipher.encrypt(prefix + struct.pack(">I", counter), data, _aad(part, last))
    return struct.pack(">I", len(sealed)) + sealed


def _aad(part: str, last: bool) -> bytes:
    return part.encode("utf-8") + (b"\x01" if last else b"\x00")


def _rechunk(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Whatever sizes come in, CHUNK-sized pieces go out (the last may be shorter)."""
    buffer = bytearray()
    for data in chunks:
        buffer.extend(data)
        while len(buffer) >= CHUNK:
            yield bytes(buffer[:CHUNK])
            del buffer[:CHUNK]
    if buffer:
        yield bytes(buffer)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
