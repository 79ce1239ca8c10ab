"""SessionService (X-Auth-Token sessions) and AccountService mapped onto our users and roles.

Redfish roles ↔ ours: Administrator ↔ admin, Operator ↔ operator, ReadOnly ↔ viewer. Sessions
are :class:`~smartpdu.access.AuthService` sessions (REST logins appear too, as
``ManagerConsole``); ending one here evicts it from every interface and is audited. The token is
shown once, at login.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any, Final

from starlette.responses import Response

from smartpdu.access import (
    MIN_PASSWORD_LENGTH,
    AccessError,
    AuthError,
    LastAdminError,
    Permission,
    Role,
    SessionView,
    UserExistsError,
    UserInfo,
    UserNotFoundError,
    session_id,
    token_hash,
)
from smartpdu.redfish.context import ROOT, Ctx, check_props, collection, link, read_json_body
from smartpdu.redfish.errors import RedfishError
from smartpdu.redfish.password_policy import PasswordPolicyError, is_password_policy_error
from smartpdu.redfish.responses import (
    action_result,
    check_if_match,
    json_response,
    resource_response,
)
from smartpdu.redfish.router import Endpoint

__all__ = ["REDFISH_ROLES", "account_endpoints"]

SS: Final = f"{ROOT}/SessionService"
SESSIONS: Final = f"{SS}/Sessions"
AS: Final = f"{ROOT}/AccountService"
ACCOUNTS: Final = f"{AS}/Accounts"
ROLES: Final = f"{AS}/Roles"
REDFISH_ROLES: Final = {
    "Administrator": Role.ADMIN,
    "Operator": Role.OPERATOR,
    "ReadOnly": Role.VIEWER,
    "Auditor": Role.AUDITOR,
    "RemoteHands": Role.REMOTE_HANDS,
}
_OUR_TO_REDFISH: Final = {v: k for k, v in REDFISH_ROLES.items()}
_PRIVS: Final = {
    "Administrator": [
        "Login",
        "ConfigureManager",
        "ConfigureUsers",
        "ConfigureSelf",
        "ConfigureComponents",
    ],
    "Operator": ["Login", "ConfigureSelf", "ConfigureComponents"],
    "ReadOnly": ["Login", "ConfigureSelf"],
    "Auditor": ["Login", "ConfigureSelf"],
    "RemoteHands": ["Login", "ConfigureSelf"],
}
_OEM_PRIVS: Final = {"Auditor": ["SmartPduAudit"], "RemoteHands": ["SmartPduUnlockLevers"]}


# -- sessions -----------------------------------------------------------------------------------
def session_service(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    return {
        "@odata.type": "#SessionService.v1_2_0.SessionService",
        "@odata.id": SS,
        "Id": "SessionService",
        "Name": "Session service",
        "ServiceEnabled": True,
        "SessionTimeout": int(ctx.auth.session_ttl_s),
        "Status": {"State": "Enabled", "Health": "OK"},
        "Sessions": link(SESSIONS),
    }


def _visible(ctx: Ctx, session: SessionView) -> bool:
    p = ctx.principal
    return p is not None and (p.can(Permission.MANAGE_USERS) or session.username == p.username)


async def sessions(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    ids = [s.id for s in await ctx.auth.list_sessions() if _visible(ctx, s)]
    return collection("SessionCollection", SESSIONS, "Sessions", [f"{SESSIONS}/{i}" for i in ids])


def _session_body(session: SessionView) -> dict[str, Any]:
    return {
        "@odata.type": "#Session.v1_8_0.Session",
        "@odata.id": f"{SESSIONS}/{session.id}",
        "Id": session.id,
        "Name": f"Session of {session.username}",
        "UserName": session.username,
        "Password": None,
        "SessionType": "Redfish" if session.interface == "redfish" else "ManagerConsole",
        "CreatedTime": session.created_utc.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00"),
    }


async def _visible_session(ctx: Ctx, sid: str) -> SessionView:
    session = await ctx.auth.get_session(sid)
    if session is None or not _visible(ctx, session):
        raise RedfishError(404, "ResourceNotFound", "Session", sid)
    return session


async def session_get(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    return _session_body(await _visible_session(ctx, p["session"]))


async def session_post(ctx: Ctx, p: dict[str, str], raw: bytes, h: dict[str, str]) -> Response:
    body = read_json_body(raw)
    check_props(body, {"UserName", "Password"})
    for key in ("UserName", "Password"):
        if key not in body:
            raise RedfishError(400, "PropertyMissing", key, related=(f"#/{key}",))
        if not isinstance(body[key], str):
            raise RedfishError(400, "PropertyValueTypeError", body[key], key, related=(f"#/{key}",))
    try:
        principal = await ctx.auth.authenticate(
            body["UserName"], body["Password"], interface="redfish", remote=ctx.remote
        )
    except AuthError:
        raise RedfishError(401, "NoValidSession") from None
    info = await ctx.auth.create_session(principal, interface="redfish")
    session = await ctx.auth.get_session(session_id(token_hash(info.token)))
    if session is None:  # expired or revoked between the two calls: the caller retries
        raise RedfishError(401, "NoValidSession")
    return json_response(
        201,
        _session_body(session),
        {"X-Auth-Token": info.token, "Location": f"{SESSIONS}/{session.id}"},
    )


async def session_delete(ctx: Ctx, p: dict[str, str], raw: bytes, h: dict[str, str]) -> Response:
    session = await _visible_session(ctx, p["session"])
    await ctx.auth.revoke_session(session.id, actor=ctx.actor, interface="redfish")
    ctx.changed(credentials=True)
    return Response(status_code=204, headers={"OData-Version": "4.0"})


# -- accounts -----------------------------------------------------------------------------------
def account_service(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    return {
        "@odata.type": "#AccountService.v1_18_1.AccountService",
        "@odata.id": AS,
        "Id": "AccountService",
        "Name": "Account service",
        "ServiceEnabled": True,
        "Status": {"State": "Enabled", "Health": "OK"},
        "LocalAccountAuth": "Enabled",
        "MinPasswordLength": MIN_PASSWORD_LENGTH,
        "Accounts": link(ACCOUNTS),
        "Roles": link(ROLES),
    }


async def accounts(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    users = await ctx.auth.users.list_users()
    pr = ctx.principal
    if pr is not None and not pr.can(Permission.MANAGE_USERS):
        users = [u for u in users if u.username == pr.username]
    return collection(
        "ManagerAccountCollection",
        ACCOUNTS,
        "Accounts",
        [f"{ACCOUNTS}/{u.username}" for u in users],
    )


async def _account_body(ctx: Ctx, username: str) -> dict[str, Any]:
    pr = ctx.principal
    if pr is None or (not pr.can(Permission.MANAGE_USERS) and pr.username != username):
        raise RedfishError(404, "ResourceNotFound", "ManagerAccount", username)
    try:
        u = await ctx.auth.users.get_user(username)
    except UserNotFoundError:
        raise RedfishError(404, "ResourceNotFound", "ManagerAccount", username) from None
    return _account(u)


def _account(u: UserInfo) -> dict[str, Any]:
    role = _OUR_TO_REDFISH[u.role]
    return {
        "@odata.type": "#ManagerAccount.v1_14_1.ManagerAccount",
        "@odata.id": f"{ACCOUNTS}/{u.username}",
        "Id": u.username,
        "Name": f"Account {u.username}",
        "UserName": u.username,
        "Password": None,
        "RoleId": role,
        "Enabled": not u.disabled,
        "Locked": False,
        "AccountTypes": ["Redfish", "WebUI", "ManagerConsole"],
        "Links": {"Role": link(f"{ROLES}/{role}")},
    }


async def account_get(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    return await _account_body(ctx, p["account"])


def _role(value: Any) -> Role:
    if not isinstance(value, str) or value not in REDFISH_ROLES:
        raise RedfishError(400, "PropertyValueNotInList", value, "RoleId", related=("#/RoleId",))
    return REDFISH_ROLES[value]


def _access_error(exc: AccessError, prop: str) -> RedfishError:
    if isinstance(exc, UserExistsError):
        return RedfishError(409, "ResourceAlreadyExists", "ManagerAccount", "UserName", prop)
    if isinstance(exc, UserNotFoundError):
        return RedfishError(404, "ResourceNotFound", "ManagerAccount", prop)
    if isinstance(exc, LastAdminError):
        return RedfishError(409, "ResourceInUse")
    return RedfishError(
        400, "PropertyValueIncorrect", "Password", "<hidden>", related=("#/Password",)
    )


async def account_post(ctx: Ctx, p: dict[str, str], raw: bytes, h: dict[str, str]) -> Response:
    ctx.require(Permission.MANAGE_USERS)
    body = read_json_body(raw)
    check_props(body, {"UserName", "Password", "RoleId", "Enabled"})
    for key in ("UserName", "Password", "RoleId"):
        if key not in body:
            raise RedfishError(400, "PropertyMissing", key, related=(f"#/{key}",))
    for key in ("UserName", "Password"):
        if not isinstance(body[key], str):
            raise RedfishError(400, "PropertyValueTypeError", body[key], key, related=(f"#/{key}",))
    if "Enabled" in body and not isinstance(body["Enabled"], bool):
        raise RedfishError(
            400, "PropertyValueTypeError", body["Enabled"], "Enabled", related=("#/Enabled",)
        )
    role = _role(body["RoleId"])
    try:
        await ctx.auth.users.create_user(body["UserName"], body["Password"], role, actor=ctx.actor)
        if body.get("Enabled") is False:
            await ctx.auth.users.update_user(body["UserName"], actor=ctx.actor, disabled=True)
    except (AccessError, ValueError) as exc:
        if isinstance(exc, AccessError):
            raise _access_error(exc, body["UserName"]) from None
        if is_password_policy_error(exc):
            raise PasswordPolicyError(exc) from None
        raise RedfishError(
            400, "PropertyValueIncorrect", "UserName", body["UserName"], related=("#/UserName",)
        ) from None
    ctx.changed(credentials=True)
    out = await _account_body(ctx, body["UserName"])
    return resource_response(201, out, {"Location": out["@odata.id"]})


async def account_patch(ctx: Ctx, p: dict[str, str], raw: bytes, h: dict[str, str]) -> Response:
    pr = ctx.require(Permission.READ)
    await _account_body(ctx, p["account"])  # 404 unless visible to the caller
    body = read_json_body(raw)
    check_props(
        body,
        {"Password", "RoleId", "Enabled"},
        readonly={"Id", "UserName", "Locked", "AccountTypes", "Name", "Links"},
    )
    is_admin = pr.can(Permission.MANAGE_USERS)
    if not is_admin and set(body) - {"Password"}:
        raise RedfishError(403, "InsufficientPrivilege")
    role = _role(body["RoleId"]) if "RoleId" in body else None
    if "Enabled" in body and not isinstance(body["Enabled"], bool):
        raise RedfishError(
            400, "PropertyValueTypeError", body["Enabled"], "Enabled", related=("#/Enabled",)
        )
    pw = body.get("Password")
    if pw is not None and not isinstance(pw, str):
        raise RedfishError(
            400, "PropertyValueTypeError", "<hidden>", "Password", related=("#/Password",)
        )
    try:
        await ctx.auth.users.update_user(
            p["account"],
            actor=ctx.actor,
            role=role,
            password=pw,
            disabled=None if "Enabled" not in body else not body["Enabled"],
            precondition=lambda current: check_if_match(h, _account(current)),
        )
    except (AccessError, ValueError) as exc:
        if isinstance(exc, AccessError):
            raise _access_error(exc, p["account"]) from None
        if is_password_policy_error(exc):
            raise PasswordPolicyError(exc) from None
        raise RedfishError(
            400, "PropertyValueIncorrect", "Password", "<hidden>", related=("#/Password",)
        ) from None
    ctx.changed(credentials=True)
    out = await _account_body(ctx, p["account"])
    return resource_response(200, out)


async def account_delete(ctx: Ctx, p: dict[str, str], raw: bytes, h: dict[str, str]) -> Response:
    ctx.require(Permission.MANAGE_USERS)
    try:
        existed = await ctx.auth.users.delete_user(p["account"], actor=ctx.actor)
    except AccessError as exc:
        raise _access_error(exc, p["account"]) from None
    if not existed:
        raise RedfishError(404, "ResourceNotFound", "ManagerAccount", p["account"])
    ctx.changed(credentials=True)
    return action_result(200, "Success")


def roles(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    return collection("RoleCollection", ROLES, "Roles", [f"{ROLES}/{r}" for r in REDFISH_ROLES])


def role(ctx: Ctx, p: dict[str, str]) -> dict[str, Any]:
    rid = p["role"]
    if rid not in REDFISH_ROLES:
        raise RedfishError(404, "ResourceNotFound", "Role", rid)
    return {
        "@odata.type": "#Role.v1_3_3.Role",
        "@odata.id": f"{ROLES}/{rid}",
        "Id": rid,
        "Name": f"{rid} (smartpdu role {REDFISH_ROLES[rid].value})",
        "RoleId": rid,
        "IsPredefined": True,
        "AssignedPrivileges": _PRIVS[rid],
        "OemPrivileges": _OEM_PRIVS.get(rid, []),
    }


def account_endpoints() -> list[Endpoint]:
    return [
        Endpoint(SS, session_service),
        Endpoint(SESSIONS, sessions, post=session_post, live=False),
        Endpoint(f"{SESSIONS}/{{session}}", session_get, delete=session_delete, live=False),
        Endpoint(AS, account_service),
        Endpoint(ACCOUNTS, accounts, post=account_post, live=False),
        Endpoint(
            f"{ACCOUNTS}/{{account}}",
            account_get,
            patch=account_patch,
            delete=account_delete,
            live=False,
        ),
        Endpoint(ROLES, roles),
        Endpoint(f"{ROLES}/{{role}}", role),
    ]
