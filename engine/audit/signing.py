"""The checkpoint signing key: Ed25519, kept in a file outside the database.

The key file is a PKCS#8 PEM private key (`openssl pkey -in FILE -pubout` prints its
public key). Where it lives: `DIWAN_AUDIT_KEY_FILE`; when that is unset and the database
is a SQLite file, `<database>.audit-key` beside it, generated on first use (mode 0600);
otherwise there is no key and checkpoints are off.
"""
from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.engine import make_url

from ..secret_files import write_once


class KeyUnavailable(RuntimeError):
    """No signing key: checkpoints are off."""


def key_path(key_file: str | None, database_url: str) -> Path | None:
    """Where the key is (or would be generated), or None when checkpoints are off."""
    if key_file:
        return Path(key_file)
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(url.database + ".audit-key")
    return None


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 key pair read from the key file."""

    private: Ed25519PrivateKey
    path: Path

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def public_raw(self) -> bytes:
        return self.public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    @property
    def key_id(self) -> str:
        """sha256 (hex) of the raw 32-byte public key."""
        return hashlib.sha256(self.public_raw).hexdigest()

    def public_pem(self) -> str:
        return self.public.public_bytes(serialization.Encoding.PEM,
                                        serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def public_description(self) -> dict:
        return {"algorithm": "Ed25519", "key_id": self.key_id, "raw_base64": base64.b64encode(self.public_raw).decode(),
                "pem": self.public_pem()}

    def sign(self, message: bytes) -> str:
        return self.private.sign(message).hex()

    def verifies(self, message: bytes, signature_hex: str) -> bool:
        try:
            self.public.verify(bytes.fromhex(signature_hex), message)
        except (InvalidSignature, ValueError):
            return False
        return True


def load(path: Path) -> SigningKey:
    """Read the key file.

    Raises:
        KeyUnavailable: the file is missing or is not an Ed25519 private key.
    """
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise KeyUnavailable(f"the audit key file {path} does not exist") from None
    except (ValueError, TypeError, OSError) as exc:
        raise KeyUnavailable(f"the audit key file {path} cannot be read: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyUnavailable(f"the audit key file {path} does not hold an Ed25519 private key")
    return SigningKey(key, path)


def load_or_create(path: Path) -> SigningKey:
    """Read the key file, generating it (mode 0600) when it does not exist yet."""
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        write_once(path, pem)
    return load(path)
