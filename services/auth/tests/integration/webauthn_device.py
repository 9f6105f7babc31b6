"""A software passkey authenticator (ES256, "none" attestation, user verified), answering
the options py_webauthn generates the way a browser's ``credential.toJSON()`` does.

soft-webauthn (PyPI) pins fido2 1.x, which caps ``cryptography`` far below the version the
platform uses, so this is the same idea in sixty lines on ``cryptography`` and ``cbor2``."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import struct
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, AT = 0x01, 0x04, 0x40


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SoftAuthenticator:
    """One resident credential; ``sign_count`` goes up by one per assertion (tests may set
    it back to play a cloned authenticator) unless ``counting`` is off, as with synced
    passkeys, whose counter stays 0."""

    def __init__(self, origin: str = "http://localhost:8080", *, counting: bool = True) -> None:
        self.origin = origin
        self.counting = counting
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.user_handle: bytes | None = None
        self.rp_id = ""
        self.sign_count = 0

    def create(self, options: dict[str, Any], *, user_verified: bool = True) -> dict[str, Any]:
        self.rp_id = options["rp"]["id"]
        self.user_handle = unb64url(options["user"]["id"])
        numbers = self.key.public_key().public_numbers()
        cose = {
            1: 2,
            3: -7,
            -1: 1,
            -2: numbers.x.to_bytes(32, "big"),
            -3: numbers.y.to_bytes(32, "big"),
        }
        attested = bytes(16) + struct.pack(">H", len(self.credential_id)) + self.credential_id
        auth_data = (
            self._auth_data(AT | (UV if user_verified else 0)) + attested + cbor2.dumps(cose)
        )
        client_data = self._client_data("webauthn.create", options["challenge"])
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return self._credential(
            {"clientDataJSON": b64url(client_data), "attestationObject": b64url(attestation)}
        )

    def get(self, options: dict[str, Any], *, user_verified: bool = True) -> dict[str, Any]:
        self.sign_count += 1 if self.counting else 0
        auth_data = self._auth_data(UV if user_verified else 0)
        client_data = self._client_data("webauthn.get", options["challenge"])
        signed = auth_data + hashlib.sha256(client_data).digest()
        signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return self._credential(
            {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(self.user_handle or b""),
            }
        )

    def _auth_data(self, flags: int) -> bytes:
        rp_hash = hashlib.sha256(self.rp_id.encode()).digest()
        return rp_hash + bytes([UP | flags]) + struct.pack(">I", self.sign_count)

    def _client_data(self, kind: str, challenge: str) -> bytes:
        data = {"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": False}
        return json.dumps(data).encode()

    def _credential(self, response: dict[str, str]) -> dict[str, Any]:
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": response,
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }
