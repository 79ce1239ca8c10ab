"""Access control: users, roles, permissions and token sessions (audited)."""

from smartpdu.access.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    PolicyError,
    check_password_policy,
    generate_password,
    hash_password,
    is_common_password,
    verify_password,
)
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
    UserExistsError,
    UserInfo,
    UserNotFoundError,
    token_hash,
)
from smartpdu.access.throttle import LoginThrottle

__all__ = [
    "ADMIN_USERNAME",
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
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
    "UserExistsError",
    "UserInfo",
    "UserNotFoundError",
    "check_password_policy",
    "generate_password",
    "hash_password",
    "is_common_password",
    "token_hash",
    "verify_password",
]
