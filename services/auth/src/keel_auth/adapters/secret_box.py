"""Encryption of the secrets auth must read back (TOTP seeds): Fernet (AES-128-CBC with an
HMAC-SHA256), its key derived from ``MFA_ENCRYPTION_KEY``."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet

from keel_auth.service_layer import ports


class FernetSecretBox(ports.SecretBox):
    def __init__(self, key: bytes) -> None:
        # Any high-entropy string works as the setting; Fernet wants 32 url-safe base64 bytes.
        self._fernet = Fernet(base64.urlsafe_b64encode(hashlib.sha256(key).digest()))

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, sealed: str) -> str:
        return self._fernet.decrypt(sealed.encode()).decode()
