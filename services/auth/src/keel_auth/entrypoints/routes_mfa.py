"""Two-factor (TOTP) and passkey routes under /v1/auth: parse, call a use case, answer."""

from __future__ import annotations

from typing import Any

from flask_openapi3 import APIBlueprint

from keel_auth.domain.commands import AnswerMfaChallenge, RegisterPasskey
from keel_auth.entrypoints.routes import TAG, _auth, _json, _no_content, _tokens, origin
from keel_auth.entrypoints.schemas import TokenPairOut
from keel_auth.entrypoints.schemas_mfa import (
    ChallengeBody,
    CodeBody,
    CredentialOptionsOut,
    PasskeyCredentialBody,
    PasskeyOut,
    PasskeyPath,
    PasskeysOut,
    RecoveryCodesOut,
    TotpOut,
)
from keel_auth.service_layer import mfa_challenge, passkeys, totp
from keel_common.auth import require_principal
from keel_common.http import BEARER_AUTH

api = APIBlueprint("auth_mfa", __name__, url_prefix="/v1/auth", abp_tags=[TAG])


def install(app: Any) -> None:
    app.register_api(api)


@api.post("/mfa/totp", security=BEARER_AUTH, responses={200: TotpOut})
def start_totp() -> Any:
    """A new authenticator-app secret, pending until ``/mfa/totp/verify``."""
    auth = _auth()
    enrolment = totp.start_totp(
        require_principal(), auth.uow(), auth.box, auth.clock, auth.policy.totp_issuer
    )
    response = _json(TotpOut(secret=enrolment.secret, otpauth_uri=enrolment.otpauth_uri))
    return *response, {"Cache-Control": "no-store"}


@api.post("/mfa/totp/verify", security=BEARER_AUTH, responses={200: RecoveryCodesOut})
def confirm_totp(body: CodeBody) -> Any:
    """The app's first code turns two-factor on; the recovery codes are shown this once."""
    auth = _auth()
    codes = totp.confirm_totp(
        require_principal(),
        body.code,
        origin(),
        auth.uow(),
        box=auth.box,
        throttle=auth.throttle,
        policy=auth.policy,
        clock=auth.clock,
    )
    return *_json(RecoveryCodesOut(recovery_codes=codes)), {"Cache-Control": "no-store"}


@api.delete("/mfa/totp", security=BEARER_AUTH, responses={204: None})
def disable_totp(body: CodeBody) -> Any:
    auth = _auth()
    totp.disable_totp(
        require_principal(),
        body.code,
        origin(),
        auth.uow(),
        box=auth.box,
        throttle=auth.throttle,
        revocations=auth.revocations,
        policy=auth.policy,
        clock=auth.clock,
    )
    return _no_content()


@api.post("/mfa/challenge", responses={200: TokenPairOut, 401: None})
def answer_challenge(body: ChallengeBody) -> Any:
    auth = _auth()
    pair = mfa_challenge.answer_challenge(
        AnswerMfaChallenge(body.mfa_token, body.code, body.recovery_code),
        origin(),
        auth.uow(),
        tokens=auth.tokens,
        box=auth.box,
        throttle=auth.throttle,
        policy=auth.policy,
        clock=auth.clock,
    )
    return _tokens(pair)


@api.post("/passkeys/register/options", security=BEARER_AUTH, responses={200: CredentialOptionsOut})
def passkey_registration_options() -> Any:
    """``PublicKeyCredentialCreationOptions`` (JSON) for ``navigator.credentials.create``."""
    auth = _auth()
    return passkeys.registration_options(
        require_principal(), auth.uow(), auth.webauthn, auth.policy, auth.clock
    )


@api.post("/passkeys/register/verify", security=BEARER_AUTH, responses={201: PasskeyOut})
def register_passkey(body: PasskeyCredentialBody) -> Any:
    auth = _auth()
    passkey = passkeys.register(
        require_principal(),
        RegisterPasskey(body.credential, body.name),
        origin(),
        auth.uow(),
        auth.webauthn,
        auth.clock,
    )
    return _json(PasskeyOut.of(passkey), 201)


@api.post("/passkeys/login/options", responses={200: CredentialOptionsOut})
def passkey_login_options() -> Any:
    """``PublicKeyCredentialRequestOptions`` (JSON): no user named, any discoverable passkey."""
    auth = _auth()
    return passkeys.login_options(
        origin(), auth.uow(), auth.webauthn, auth.throttle, auth.policy, auth.clock
    )


@api.post("/passkeys/login/verify", responses={200: TokenPairOut, 401: None})
def passkey_log_in(body: PasskeyCredentialBody) -> Any:
    auth = _auth()
    pair = passkeys.log_in(
        body.credential,
        origin(),
        auth.uow(),
        tokens=auth.tokens,
        webauthn=auth.webauthn,
        policy=auth.policy,
        clock=auth.clock,
    )
    return _tokens(pair)


@api.get("/passkeys", security=BEARER_AUTH, responses={200: PasskeysOut})
def list_passkeys() -> Any:
    found = passkeys.list_passkeys(require_principal(), _auth().uow())
    return _json(PasskeysOut(passkeys=[PasskeyOut.of(p) for p in found]))


@api.delete("/passkeys/<uuid:id>", security=BEARER_AUTH, responses={204: None})
def remove_passkey(path: PasskeyPath) -> Any:
    auth = _auth()
    passkeys.remove(require_principal(), path.id, origin(), auth.uow(), auth.clock)
    return _no_content()
