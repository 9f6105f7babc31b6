"""The public HTTP API under /v1/auth: parse, call a use case, shape the answer. No rules."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import Response, abort, current_app, jsonify, request
from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, ValidationError

from keel_auth.adapters.metrics import AUTH_LOGIN_FAILURES
from keel_auth.bootstrap import Auth
from keel_auth.domain.commands import (
    AddPhone,
    ForgotPassword,
    LogIn,
    LogOut,
    Origin,
    RefreshSession,
    RequestOtp,
    ResendVerification,
    ResetPassword,
    SetRoles,
    SignUp,
    VerifyEmail,
    VerifyOtp,
    VerifyPhone,
)
from keel_auth.domain.errors import InvalidCredentials
from keel_auth.entrypoints.schemas import (
    ForgotPasswordBody,
    LogInBody,
    LogOutBody,
    OtpRequestBody,
    OtpVerifyBody,
    PhoneBody,
    PhoneVerifyBody,
    RefreshBody,
    ResendVerificationBody,
    ResetPasswordBody,
    RolesBody,
    SignUpBody,
    TokenPairOut,
    UserOut,
    UserPath,
    VerifyEmailBody,
)
from keel_auth.entrypoints.schemas_mfa import MfaRequiredOut, SignInOut
from keel_auth.service_layer import accounts, otp, passwords, phones, sessions, verification
from keel_auth.service_layer.steps import MfaRequired, TokenPair
from keel_auth.service_layer.views import AccountView
from keel_common.auth import require_principal
from keel_common.http import BEARER_AUTH, json_body
from keel_common.http.problems import validation_problem

T = TypeVar("T", bound=BaseModel)
TAG = Tag(name="auth", description="Accounts, sessions and tokens")
ACCEPTED = {"status": "accepted"}


def origin() -> Origin:
    agent = request.headers.get("User-Agent")
    return Origin(ip=request.remote_addr, user_agent=agent[:512] if agent else None)


def _json(model: Any, status: int = 200) -> tuple[dict[str, Any], int]:
    return model.model_dump(mode="json"), status


def _tokens(pair: TokenPair | MfaRequired) -> Response:
    """A token pair, or the ``mfa_token`` of a sign-in that needs a second factor; no cache
    (browser, proxy) may keep either (RFC 6749 section 5.1)."""
    model: BaseModel
    if isinstance(pair, MfaRequired):
        model = MfaRequiredOut(mfa_token=pair.mfa_token)
    else:
        model = TokenPairOut.of(pair)
    body = current_app.json.dumps(model.model_dump(mode="json"))
    response = Response(body, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def _optional_body(model: type[T]) -> T:
    try:
        return model.model_validate(request.get_json(silent=True) or {})
    except ValidationError as exc:
        abort(validation_problem(exc))


def _no_content() -> Response:
    return Response(status=204)


api = APIBlueprint("auth", __name__, url_prefix="/v1/auth", abp_tags=[TAG])
AUTH_EXTENSION = "keel_auth"


def install(app: Any, auth: Auth) -> None:
    """Serve the API of ``auth`` (the composition root of this process) on ``app``."""
    # The feature modules build on this module's helpers, so they are imported here.
    from keel_auth.entrypoints import (
        http_account,
        http_export,
        http_privacy,
        routes_mfa,
        routes_oidc,
    )

    app.extensions[AUTH_EXTENSION] = auth
    app.register_api(api)
    app.register_api(http_account.api)
    routes_oidc.install(app)
    routes_mfa.install(app)
    http_privacy.install(app)
    http_export.install(app)


def _auth() -> Auth:
    auth: Auth = current_app.extensions[AUTH_EXTENSION]
    return auth


@api.post("/signup", responses={202: None})
def sign_up(body: SignUpBody) -> Any:
    """202 whether or not the address is registered (its owner is emailed instead)."""
    auth = _auth()
    accounts.sign_up(
        SignUp(body.email, body.password, body.name, body.phone),
        origin(),
        auth.uow(),
        hasher=auth.hasher,
        throttle=auth.throttle,
        policy=auth.policy,
        clock=auth.clock,
    )
    return ACCEPTED, 202


@api.post("/login", responses={200: SignInOut, 401: None})
def log_in(body: LogInBody) -> Any:
    auth = _auth()
    try:
        pair = sessions.log_in(
            LogIn(body.email, body.password),
            origin(),
            auth.uow(),
            hasher=auth.hasher,
            tokens=auth.tokens,
            throttle=auth.throttle,
            policy=auth.policy,
            clock=auth.clock,
        )
    except InvalidCredentials:
        AUTH_LOGIN_FAILURES.inc()  # the brute-force alert watches this rate
        raise
    return _tokens(pair)


@api.post("/refresh", responses={200: TokenPairOut, 401: None})
def refresh(body: RefreshBody) -> Any:
    auth = _auth()
    pair = sessions.refresh_session(
        RefreshSession(body.refresh_token),
        origin(),
        auth.uow(),
        tokens=auth.tokens,
        revocations=auth.revocations,
        policy=auth.policy,
        clock=auth.clock,
    )
    return _tokens(pair)


@api.post("/logout", security=BEARER_AUTH, responses={204: None})
def log_out() -> Any:
    """The body (``{"refresh_token": ...}``) is optional, so it is parsed here."""
    auth = _auth()
    principal = require_principal()
    body = _optional_body(LogOutBody)
    sessions.log_out(
        principal,
        LogOut(body.refresh_token),
        origin(),
        auth.uow(),
        revocations=auth.revocations,
        policy=auth.policy,
        clock=auth.clock,
    )
    return _no_content()


@api.get("/me", security=BEARER_AUTH, responses={200: UserOut})
def me() -> Any:
    # The view reads the session's row (or the denylist, cached): the signature is enough here.
    auth = _auth()
    principal = require_principal(auth.signatures)
    return json_body(sessions.current_user(principal, auth.views, _rendered_user))


def _rendered_user(view: AccountView) -> bytes:
    """``GET /me``'s body, byte for byte what answering ``UserOut.document(view)`` writes."""
    return jsonify(UserOut.document(view)).get_data()


@api.post("/otp/request", responses={202: None})
def request_otp(body: OtpRequestBody) -> Any:
    auth = _auth()
    otp.request_otp(
        RequestOtp(body.phone),
        origin(),
        auth.uow(),
        throttle=auth.throttle,
        meter=auth.meter,
        policy=auth.policy,
        clock=auth.clock,
    )
    return ACCEPTED, 202


@api.post("/otp/verify", responses={200: SignInOut, 401: None})
def verify_otp(body: OtpVerifyBody) -> Any:
    auth = _auth()
    pair = otp.verify_otp(
        VerifyOtp(body.phone, body.code),
        origin(),
        auth.uow(),
        tokens=auth.tokens,
        throttle=auth.throttle,
        policy=auth.policy,
        clock=auth.clock,
    )
    return _tokens(pair)


@api.post("/password/forgot", responses={202: None})
def forgot_password(body: ForgotPasswordBody) -> Any:
    auth = _auth()
    passwords.forgot_password(
        ForgotPassword(body.email),
        origin(),
        auth.uow(),
        throttle=auth.throttle,
        policy=auth.policy,
        clock=auth.clock,
    )
    return ACCEPTED, 202


@api.post("/password/reset", responses={204: None})
def reset_password(body: ResetPasswordBody) -> Any:
    auth = _auth()
    passwords.reset_password(
        ResetPassword(body.token, body.password),
        origin(),
        auth.uow(),
        hasher=auth.hasher,
        revocations=auth.revocations,
        throttle=auth.throttle,
        policy=auth.policy,
        clock=auth.clock,
    )
    return _no_content()


@api.post("/email/verify", responses={200: SignInOut})
def verify_email(body: VerifyEmailBody) -> Any:
    """The link of the welcome email: the address is verified and the user signed in."""
    auth = _auth()
    pair = verification.verify_email(
        VerifyEmail(body.token),
        origin(),
        auth.uow(),
        tokens=auth.tokens,
        policy=auth.policy,
        clock=auth.clock,
    )
    return _tokens(pair)


@api.post("/email/resend", responses={202: None})
def resend_verification(body: ResendVerificationBody) -> Any:
    auth = _auth()
    verification.resend_verification(
        ResendVerification(body.email),
        origin(),
        auth.uow(),
        throttle=auth.throttle,
        policy=auth.policy,
        clock=auth.clock,
    )
    return ACCEPTED, 202


@api.post("/phone", security=BEARER_AUTH, responses={202: None})
def add_phone(body: PhoneBody) -> Any:
    """Text a code to ``phone``, which stays pending until ``/phone/verify``."""
    auth = _auth()
    phones.request_phone_code(
        require_principal(),
        AddPhone(body.phone),
        origin(),
        auth.uow(),
        throttle=auth.throttle,
        meter=auth.meter,
        policy=auth.policy,
        clock=auth.clock,
    )
    return ACCEPTED, 202


@api.post("/phone/verify", security=BEARER_AUTH, responses={200: UserOut})
def verify_phone(body: PhoneVerifyBody) -> Any:
    auth = _auth()
    user = phones.verify_phone(
        require_principal(),
        VerifyPhone(body.phone, body.code),
        origin(),
        auth.uow(),
        throttle=auth.throttle,
        policy=auth.policy,
        clock=auth.clock,
    )
    return _json(UserOut.of(user))


@api.put("/users/<uuid:id>/roles", security=BEARER_AUTH, responses={200: UserOut})
def set_roles(path: UserPath, body: RolesBody) -> Any:
    auth = _auth()
    user = accounts.set_roles(
        require_principal(),
        SetRoles(path.id, tuple(body.roles)),
        origin(),
        auth.uow(),
        revocations=auth.revocations,
        policy=auth.policy,
        clock=auth.clock,
    )
    return _json(UserOut.of(user))
