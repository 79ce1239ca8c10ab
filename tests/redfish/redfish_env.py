"""Credentials of the Redfish test users (unique module name, imported by conftest and tests)."""

ADMIN_PW = "correct-horse-battery-9"
OPERATOR_PW = "operator-password-77"
VIEWER_PW = "viewer-password-7788"
