"""The one password policy: length, common passwords, not the user name; a reason per rule."""

from __future__ import annotations

import pytest

from smartpdu.access import (
    MIN_PASSWORD_LENGTH,
    PolicyError,
    check_password_policy,
    generate_password,
    is_common_password,
)


@pytest.mark.parametrize(
    ("password", "username", "rule"),
    [
        ("aaaaaaaa", None, "length"),
        ("x" * (MIN_PASSWORD_LENGTH - 1), None, "length"),
        ("x" * 257, None, "length"),
        ("password1234", None, "common"),
        ("Password1234!", None, "common"),
        ("QWERTYUIOP123", None, "common"),
        ("123456789012", None, "common"),
        ("operator-smith", "operator-smith", "same_as_username"),
        ("Operator-Smith2024", "operator-smith", "same_as_username"),
    ],
)
def test_weak_passwords_are_refused_with_their_rule(
    password: str, username: str | None, rule: str
) -> None:
    with pytest.raises(PolicyError) as info:
        check_password_policy(password, username)
    assert info.value.rule == rule
    assert str(info.value).startswith("password ")


@pytest.mark.parametrize(
    "password", ["correct-horse-battery-9", "e2e-admin-password", "x" * MIN_PASSWORD_LENGTH]
)
def test_good_passwords_pass(password: str) -> None:
    assert check_password_policy(password, "alice") == password


def test_the_bundled_list_is_loaded_and_case_insensitive() -> None:
    assert is_common_password("LetMeIn") and is_common_password("dragon2024!")
    assert not is_common_password("velvet-otter-42")
    # the base word must be on the list: a long unusual phrase with digits is fine
    assert not is_common_password("monkeyisland-sunset-1988")


def test_generated_passwords_meet_the_policy() -> None:
    for _ in range(20):
        check_password_policy(generate_password(), "admin")
