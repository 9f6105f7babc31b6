"""The WebAuthn ceremonies with py_webauthn, for one relying party (``WEBAUTHN_RP_ID``) and
its allowed origins (``WEBAUTHN_ORIGINS``). Passkeys are discoverable credentials with user
verification required, so a sign-in needs no username and counts as two factors."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from keel_auth.domain.errors import PasskeyRejected
from keel_auth.domain.mfa import Passkey
from keel_auth.domain.model import User
from keel_auth.service_layer import ports

TIMEOUT_MS = 300_000  # the challenge's server-side lifetime (AuthPolicy) is the real limit


class PyWebAuthn(ports.WebAuthn):
    def __init__(self, rp_id: str, rp_name: str, origins: Sequence[str]) -> None:
        self._rp_id = rp_id
        self._rp_name = rp_name
        self._origins = list(origins)

    def registration_options(
        self, user: User, exclude: Sequence[str]
    ) -> tuple[dict[str, Any], str]:
        options = generate_registration_options(
            rp_id=self._rp_id,
            rp_name=self._rp_name,
            user_id=user.id.bytes,
            user_name=user.email,
            user_display_name=user.name or user.email,
            timeout=TIMEOUT_MS,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED,
                require_resident_key=True,
                user_verification=UserVerificationRequirement.REQUIRED,
            ),
            exclude_credentials=[
                PublicKeyCredentialDescriptor(id=base64url_to_bytes(c)) for c in exclude
            ],
        )
        return json.loads(options_to_json(options)), bytes_to_base64url(options.challenge)

    def authentication_options(self) -> tuple[dict[str, Any], str]:
        options = generate_authentication_options(
            rp_id=self._rp_id,
            timeout=TIMEOUT_MS,
            user_verification=UserVerificationRequirement.REQUIRED,
        )
        return json.loads(options_to_json(options)), bytes_to_base64url(options.challenge)

    def challenge_of(self, credential: dict[str, Any]) -> str | None:
        try:
            raw = base64url_to_bytes(credential["response"]["clientDataJSON"])
            challenge = json.loads(raw)["challenge"]
        except (AttributeError, KeyError, TypeError, ValueError):  # whatever a client sent
            return None
        return challenge if isinstance(challenge, str) else None

    def credential_id_of(self, credential: dict[str, Any]) -> str | None:
        raw_id = credential.get("rawId") or credential.get("id")
        return raw_id if isinstance(raw_id, str) and raw_id else None

    def verify_registration(self, credential: dict[str, Any], challenge: str) -> ports.NewPasskey:
        try:
            verified = verify_registration_response(
                credential=credential,
                expected_challenge=base64url_to_bytes(challenge),
                expected_rp_id=self._rp_id,
                expected_origin=self._origins,
                require_user_verification=True,
            )
        except (WebAuthnException, KeyError, TypeError, ValueError) as exc:
            raise PasskeyRejected(f"the passkey could not be verified: {exc}") from exc
        return ports.NewPasskey(
            bytes_to_base64url(verified.credential_id),
            bytes_to_base64url(verified.credential_public_key),
            verified.sign_count,
        )

    def verify_authentication(
        self, credential: dict[str, Any], challenge: str, passkey: Passkey
    ) -> int:
        try:
            verified = verify_authentication_response(
                credential=credential,
                expected_challenge=base64url_to_bytes(challenge),
                expected_rp_id=self._rp_id,
                expected_origin=self._origins,
                credential_public_key=base64url_to_bytes(passkey.public_key),
                credential_current_sign_count=passkey.sign_count,
                require_user_verification=True,
            )
        except (WebAuthnException, KeyError, TypeError, ValueError) as exc:
            raise PasskeyRejected(f"the passkey could not be verified: {exc}") from exc
        return int(verified.new_sign_count)
