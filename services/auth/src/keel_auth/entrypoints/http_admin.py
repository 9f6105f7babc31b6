"""``/v1/admin/users`` and ``/v1/admin/auth/audit``: auth's back-office API, a thin
translation to ``service_layer.admin_users``.

Every route needs a token (401 first); the service layer decides staff/admin (403).
"""

from __future__ import annotations

from typing import Any

from flask_openapi3 import APIBlueprint, Tag

from keel_auth.entrypoints.admin_schemas import (
    AdminRolesIn,
    AdminUserDetailOut,
    AdminUserOut,
    AdminUserPage,
    AuditOut,
    AuditPage,
    AuditQueryIn,
    Paging,
    ReasonIn,
    RevokedOut,
    SessionOut,
    SignupStatsOut,
    UserQueryIn,
)
from keel_auth.entrypoints.routes import _auth, origin
from keel_auth.entrypoints.schemas import UserPath
from keel_auth.service_layer import admin_users
from keel_auth.service_layer.ports import UserQuery
from keel_common.auth import require_principal
from keel_common.http import BEARER_AUTH
from keel_common.pagination import Page

api = APIBlueprint(
    "auth_admin",
    __name__,
    url_prefix="/v1/admin",
    abp_tags=[Tag(name="admin", description="Back-office: staff and admins only")],
    abp_security=BEARER_AUTH,
)


@api.before_request
def _authenticate() -> None:
    require_principal()


def _detail(record: admin_users.UserRecord) -> dict[str, Any]:
    return AdminUserDetailOut(
        user=AdminUserOut.of(record.user), sessions=[SessionOut.of(s) for s in record.sessions]
    ).model_dump(mode="json")


def _audit_page(page: Page[Any]) -> dict[str, Any]:
    items = [AuditOut.of(e) for e in page.items]
    return AuditPage(items=items, next_cursor=page.next_cursor).model_dump(mode="json")


@api.get("/users", responses={200: AdminUserPage})
def find_users(query: UserQueryIn) -> Any:
    """Accounts by id, exact email, email prefix or phone (or every account), newest first
    (staff)."""
    wanted = UserQuery(query.id, query.email, query.email_prefix, query.phone)
    page = admin_users.find_users(
        require_principal(), wanted, query.limit, query.cursor, _auth().uow(), _auth().policy
    )
    items = [AdminUserOut.of(u) for u in page.items]
    return AdminUserPage(items=items, next_cursor=page.next_cursor).model_dump(mode="json")


@api.get("/users/stats", responses={200: SignupStatsOut})
def signup_stats() -> Any:
    """Sign-ups since midnight UTC and in the last seven days (staff)."""
    stats = admin_users.signup_stats(
        require_principal(), _auth().uow(), _auth().policy, _auth().clock
    )
    return SignupStatsOut(
        signups_today=stats.today,
        signups_last_7_days=stats.last_7_days,
        today_since=stats.today_since,
        last_7_days_since=stats.last_7_days_since,
    ).model_dump(mode="json")


@api.get("/users/<uuid:id>", responses={200: AdminUserDetailOut})
def get_user(path: UserPath) -> Any:
    """Profile, roles, verified flags, disabled state and active sessions (staff)."""
    return _detail(
        admin_users.user_record(require_principal(), path.id, _auth().uow(), _auth().policy)
    )


@api.get("/users/<uuid:id>/audit", responses={200: AuditPage})
def user_audit(path: UserPath, query: Paging) -> Any:
    """The account's security audit trail, newest first (staff)."""
    page = admin_users.audit_trail(
        require_principal(), _auth().uow(), _auth().policy, user_id=path.id, limit=query.limit,
        cursor=query.cursor,
    )  # fmt: skip
    return _audit_page(page)


@api.post("/users/<uuid:id>/sessions/revoke", responses={200: RevokedOut})
def revoke_sessions(path: UserPath, body: ReasonIn) -> Any:
    """End every session: the account's tokens get 401 at every service at once (staff)."""
    auth = _auth()
    ended = admin_users.revoke_sessions(
        require_principal(), path.id, body.reason, origin(), auth.uow(),
        auth.revocations, auth.policy, auth.clock,
    )  # fmt: skip
    return RevokedOut(revoked_sessions=ended).model_dump(mode="json")


@api.post("/users/<uuid:id>/disable", responses={200: AdminUserDetailOut})
def disable_user(path: UserPath, body: ReasonIn) -> Any:
    """Disable the account: no sign-in by any path, every session ended at once (staff)."""
    auth = _auth()
    admin_users.disable_user(
        require_principal(), path.id, body.reason, origin(), auth.uow(),
        auth.revocations, auth.policy, auth.clock,
    )  # fmt: skip
    return get_user(path)


@api.post("/users/<uuid:id>/enable", responses={200: AdminUserDetailOut})
def enable_user(path: UserPath, body: ReasonIn) -> Any:
    """Let a disabled account sign in again (staff)."""
    auth = _auth()
    admin_users.enable_user(
        require_principal(), path.id, body.reason, origin(), auth.uow(), auth.policy, auth.clock
    )
    return get_user(path)


@api.put("/users/<uuid:id>/roles", responses={200: AdminUserOut})
def change_roles(path: UserPath, body: AdminRolesIn) -> Any:
    """Replace the account's roles, with a reason (admin; the last admin keeps the role)."""
    auth = _auth()
    user = admin_users.change_roles(
        require_principal(), path.id, tuple(body.roles), body.reason, origin(), auth.uow(),
        auth.revocations, auth.policy, auth.clock,
    )  # fmt: skip
    return AdminUserOut.of(user).model_dump(mode="json")


@api.get("/auth/audit", responses={200: AuditPage})
def audit_log(query: AuditQueryIn) -> Any:
    """Auth's security and admin events, newest first; by target and/or actor (staff)."""
    page = admin_users.audit_trail(
        require_principal(), _auth().uow(), _auth().policy, user_id=query.user_id,
        actor_id=query.actor_id, limit=query.limit, cursor=query.cursor,
    )  # fmt: skip
    return _audit_page(page)
