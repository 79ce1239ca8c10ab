"""Access control: users, roles, permissions and token sessions (audited)."""

from smartpdu.access.passwords import PolicyError, generate_password, hash_password, verify_password
from smartpdu.access.roles import ROLE_PERMISSIONS, Permission, Principal, Role
from smartpdu.access.service import (
    ADMIN_USERNAME,
    AccessError,
    AuthError,
    AuthService,
    EventSink,
    LastAdminError,
    LoginThrottledError,
    SessionInfo,
    SessionView,
    UserExistsError,
    UserInfo,
    UserNotFoundError,
    session_id,
    token_hash,
)
from smartpdu.access.throttle import LoginThrottle

__all__ = [
    "ADMIN_USERNAME",
    "ROLE_PERMISSIONS",
    "AccessError",
    "AuthError",
    "AuthService",
    "EventSink",
    "LastAdminError",
    "LoginThrottle",
    "LoginThrottledError",
    "Permission",
    "PolicyError",
    "Principal",
    "Role",
    "SessionInfo",
    "SessionView",
    "UserExistsError",
    "UserInfo",
    "UserNotFoundError",
    "generate_password",
    "hash_password",
    "session_id",
    "token_hash",
    "verify_password",
]
