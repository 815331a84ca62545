"""The backup file's outer layers: an optional AES-256-GCM encryption and a SHA-256 trailer.

A backup file is a tar stream (plain) or that tar stream encrypted (see below), followed by
one trailer line ``\\nTILLBOX-SHA256 <64 hex>\\n`` holding the SHA-256 of every byte before
it. Tar readers stop at the tar's end-of-archive blocks and ignore the trailer; we check it
first, so a single flipped byte anywhere (also in tar padding) or a cut-off file is refused
before anything is read from it, without a passphrase.

Encrypted layout (after the magic): salt (16), scrypt log2(n), r, p (1 byte each), a random
8-byte nonce prefix; then chunks, each ``<4-byte big-endian length><ciphertext+tag>``. Chunk i
is sealed with nonce = prefix + i (4 bytes) and associated data = header + i + a final flag,
so changed, reordered, dropped or appended chunks all fail authentication, and the stream
must end with a chunk flagged final. The key is scrypt(passphrase, salt).

Public-key layout (``X25519_MAGIC``; automatic backups once the owner has set a backup
passphrase, see :mod:`.keys`): the recipient's public key (32), the recipient's private key
wrapped with a key from the passphrase (salt 16, scrypt log2(n), r, p, nonce 12, sealed key
48), an ephemeral public key (32) and the nonce prefix (8); then the same chunks. The chunk
key is HKDF-SHA256 over X25519(ephemeral, recipient), bound to both public keys. Writing needs
only the public key (the box never holds the passphrase); reading needs the passphrase, which
unwraps the private key carried in the header, so a new box restores with the passphrase
alone.
"""

from __future__ import annotations

import functools
import hashlib
import os
import struct
from types import SimpleNamespace

from ..errors import ValidationError


@functools.lru_cache(maxsize=None)
def _crypto() -> SimpleNamespace:
    """The cryptography package, imported on first use: core imports appliance.backup at
    start (the backups' status for the pages) and need not carry its ~6 MiB until then."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric.x25519 import (X25519PrivateKey,
                                                                  X25519PublicKey)
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
    return SimpleNamespace(InvalidTag=InvalidTag, hashes=hashes, AESGCM=AESGCM, HKDF=HKDF,
                           Scrypt=Scrypt, X25519PrivateKey=X25519PrivateKey,
                           X25519PublicKey=X25519PublicKey)


ENC_MAGIC = b"TILLBOX-BACKUP-AES256GCM-1\n"
X25519_MAGIC = b"TILLBOX-BACKUP-X25519-AES256GCM-1\n"
#: salt, scrypt parameters, nonce and the sealed 32-byte private key (+16 tag)
WRAPPED_LEN = 16 + 3 + 12 + 48
X25519_HEAD_LEN = len(X25519_MAGIC) + 32 + WRAPPED_LEN + 32 + 8
HKDF_INFO = b"tillbox-backup-x25519-v1"
TRAILER_TAG = b"\nTILLBOX-SHA256 "
TRAILER_LEN = len(TRAILER_TAG) + 64 + 1
CHUNK = 1 << 20
SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P = 15, 8, 1


class BackupInvalid(ValidationError):
    """A backup file that must not be restored; the message says why."""

    code = "backup_invalid"


def derive_key(passphrase: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    if not 10 <= log2_n <= 20 or not 1 <= r <= 16 or not 1 <= p <= 4:
        raise BackupInvalid("the encryption header has implausible key parameters "
                            "(the file is damaged)")
    return _crypto().Scrypt(salt=salt, length=32, n=1 << log2_n, r=r, p=p).derive(
        passphrase.encode("utf-8"))


def wrap_private_key(private: bytes, public: bytes, passphrase: str) -> bytes:
    """``private`` sealed under scrypt(passphrase): the WRAPPED_LEN bytes a header carries."""
    salt, nonce = os.urandom(16), os.urandom(12)
    params = bytes([SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P])
    key = derive_key(passphrase, salt, SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P)
    sealed = _crypto().AESGCM(key).encrypt(nonce, private, X25519_MAGIC + public)
    return salt + params + nonce + sealed


def unwrap_private_key(wrapped: bytes, public: bytes, passphrase: str) -> bytes:
    """The private key from :func:`wrap_private_key`; BackupInvalid for a wrong passphrase."""
    if len(wrapped) != WRAPPED_LEN:
        raise BackupInvalid("the backup's key block is damaged")
    salt, (log2_n, r, p), nonce, sealed = (wrapped[:16], wrapped[16:19], wrapped[19:31],
                                          wrapped[31:])
    key = derive_key(passphrase, salt, log2_n, r, p)
    try:
        private = _crypto().AESGCM(key).decrypt(nonce, sealed, X25519_MAGIC + public)
    except _crypto().InvalidTag:
        raise BackupInvalid("wrong passphrase (or the encrypted data was altered)") from None
    derived = _crypto().X25519PrivateKey.from_private_bytes(private).public_key() \
        .public_bytes_raw()
    if derived != public:
        raise BackupInvalid("the backup's key block does not match its public key (the file "
                            "was altered)")
    return private


def _chunk_key(shared: bytes, ephemeral: bytes, recipient: bytes) -> bytes:
    c = _crypto()
    return c.HKDF(algorithm=c.hashes.SHA256(), length=32, salt=ephemeral + recipient,
                  info=HKDF_INFO).derive(shared)


class HashingWriter:
    """Writes through to a file, hashing every byte; :meth:`finish` appends the trailer."""

    def __init__(self, fh):
        self.fh = fh
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data) -> int:
        data = bytes(data)
        self.sha.update(data)
        self.fh.write(data)
        self.size += len(data)
        return len(data)

    def finish(self) -> None:
        self.fh.write(TRAILER_TAG + self.sha.hexdigest().encode() + b"\n")


class EncryptingWriter:
    """A write-only stream that encrypts into ``out`` (a :class:`HashingWriter`)."""

    def __init__(self, out, passphrase: str | None = None, *, recipient=None):
        """Encrypt under ``passphrase``, or to ``recipient``: (public key, wrapped private key)
        as :mod:`.keys` stores them (no passphrase needed)."""
        self.out = out
        prefix = os.urandom(8)
        if recipient is not None:
            public, wrapped = recipient
            if len(public) != 32 or len(wrapped) != WRAPPED_LEN:
                raise ValidationError("the backup key is damaged: set the backup passphrase "
                                      "again")
            eph = _crypto().X25519PrivateKey.generate()
            eph_pub = eph.public_key().public_bytes_raw()
            shared = eph.exchange(_crypto().X25519PublicKey.from_public_bytes(public))
            self.header = X25519_MAGIC + public + wrapped + eph_pub + prefix
            self.aead = _crypto().AESGCM(_chunk_key(shared, eph_pub, public))
        else:
            salt = os.urandom(16)
            self.header = (ENC_MAGIC + salt + bytes([SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P])
                           + prefix)
            self.aead = _crypto().AESGCM(derive_key(passphrase, salt, SCRYPT_LOG2_N,
                                                    SCRYPT_R, SCRYPT_P))
        self.prefix = prefix
        self.index = 0
        self.buf = bytearray()
        out.write(self.header)

    def write(self, data) -> int:
        self.buf += data
        while len(self.buf) > CHUNK:
            self._seal(bytes(self.buf[:CHUNK]), final=False)
            del self.buf[:CHUNK]
        return len(data)

    def _seal(self, plain: bytes, final: bool) -> None:
        nonce = self.prefix + struct.pack(">I", self.index)
        aad = self.header + struct.pack(">IB", self.index, int(final))
        sealed = self.aead.encrypt(nonce, plain, aad)
        self.out.write(struct.pack(">I", len(sealed)) + sealed)
        self.index += 1

    def close(self) -> None:
        self._seal(bytes(self.buf), final=True)
        self.buf = bytearray()


class LimitedReader:
    """Reads the first ``limit`` bytes of a file (the part before the trailer)."""

    def __init__(self, fh, limit: int, progress=None):
        self.fh, self.left, self.progress = fh, limit, progress
        self.total = limit

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0 or n > self.left:
            n = self.left
        data = self.fh.read(n)
        self.left -= len(data)
        if self.progress:
            self.progress(self.total - self.left, self.total)
        return data


class DecryptingReader:
    """A read-only stream of the plaintext of an encrypted backup body."""

    def __init__(self, src: LimitedReader, passphrase: str):
        self.src = src
        head = self._exact(len(ENC_MAGIC), "its encryption header")
        if head == X25519_MAGIC[:len(ENC_MAGIC)]:
            head += self._exact(X25519_HEAD_LEN - len(ENC_MAGIC), "its encryption header")
            if not head.startswith(X25519_MAGIC):
                raise BackupInvalid("not an encrypted tillbox backup")
            at = len(X25519_MAGIC)
            public = head[at:at + 32]
            wrapped = head[at + 32:at + 32 + WRAPPED_LEN]
            eph_pub = head[at + 32 + WRAPPED_LEN:at + 64 + WRAPPED_LEN]
            private = unwrap_private_key(wrapped, public, passphrase)
            try:
                shared = _crypto().X25519PrivateKey.from_private_bytes(private).exchange(
                    _crypto().X25519PublicKey.from_public_bytes(eph_pub))
            except ValueError:
                raise BackupInvalid("the encryption header is damaged") from None
            self.aead = _crypto().AESGCM(_chunk_key(shared, eph_pub, public))
        else:
            head += self._exact(16 + 3 + 8, "its encryption header")
            if not head.startswith(ENC_MAGIC):
                raise BackupInvalid("not an encrypted tillbox backup")
            salt = head[len(ENC_MAGIC):len(ENC_MAGIC) + 16]
            log2_n, r, p = head[len(ENC_MAGIC) + 16:len(ENC_MAGIC) + 19]
            self.aead = _crypto().AESGCM(derive_key(passphrase, salt, log2_n, r, p))
        self.prefix = head[-8:]
        self.header = head
        self.index = 0
        self.done = False
        self.buf = b""

    def _exact(self, n: int, what: str) -> bytes:
        data = self.src.read(n)
        if len(data) != n:
            raise BackupInvalid(f"the backup is truncated (it ends inside {what})")
        return data

    def _next_chunk(self) -> None:
        (length,) = struct.unpack(">I", self._exact(4, "a chunk length"))
        if length < 16 or length > CHUNK + 16:
            raise BackupInvalid("the encrypted data is damaged (a chunk has an impossible "
                                "length)")
        sealed = self._exact(length, "an encrypted chunk")
        nonce = self.prefix + struct.pack(">I", self.index)
        for final in (False, True):
            aad = self.header + struct.pack(">IB", self.index, int(final))
            try:
                plain = self.aead.decrypt(nonce, sealed, aad)
            except _crypto().InvalidTag:
                continue
            self.index += 1
            self.buf += plain
            if final:
                self.done = True
                if self.src.read(1):
                    raise BackupInvalid("the backup has data after its last encrypted chunk "
                                        "(it was altered)")
            return
        if self.index == 0:
            raise BackupInvalid("wrong passphrase (or the encrypted data was altered)")
        raise BackupInvalid(f"the encrypted data was altered (chunk {self.index} fails "
                            "authentication)")

    def read(self, n: int = -1) -> bytes:
        while not self.done and (n is None or n < 0 or len(self.buf) < n):
            self._next_chunk()
        if n is None or n < 0:
            n = len(self.buf)
        data, self.buf = self.buf[:n], self.buf[n:]
        return data


def check_trailer(path, progress=None) -> int:
    """Check the whole-file SHA-256; return the body's length (bytes before the trailer)."""
    size = os.path.getsize(path)
    if size < TRAILER_LEN:
        raise BackupInvalid("the file is too short to be a tillbox backup (truncated?)")
    body = size - TRAILER_LEN
    sha = hashlib.sha256()
    with open(path, "rb") as fh:
        reader = LimitedReader(fh, body, progress)
        while True:
            block = reader.read(CHUNK)
            if not block:
                break
            sha.update(block)
        trailer = fh.read()
    if not trailer.startswith(TRAILER_TAG) or not trailer.endswith(b"\n"):
        raise BackupInvalid("the backup is truncated or is not a tillbox backup (its "
                            "checksum trailer is missing)")
    if trailer[len(TRAILER_TAG):-1].decode("ascii", "replace") != sha.hexdigest():
        raise BackupInvalid("the backup file was changed or damaged after it was written "
                            "(its SHA-256 does not match)")
    return body


def is_encrypted(path) -> bool:
    return encryption_of(path) is not None


def encryption_of(path) -> str | None:
    """``"passphrase"``, ``"key"`` (to the box's backup key) or None (plain)."""
    with open(path, "rb") as fh:
        head = fh.read(len(X25519_MAGIC))
    if head.startswith(ENC_MAGIC):
        return "passphrase"
    if head == X25519_MAGIC:
        return "key"
    return None
