"""``smartpdu user passwd NAME``: change a user's password on a running instance (admin).

The new password is asked twice at the prompt (never echoed) or read from
``SMARTPDU_NEW_PASSWORD`` for scripts; it goes through the instance's one password policy, the
change is audited there (``PASSWORD_CHANGED``) and ends that user's sessions.
"""

from __future__ import annotations

import typer

from smartpdu.cli.client_cmds import PasswordOpt, TokenOpt, UrlOpt, UserOpt, _client, console

__all__ = ["user_app"]

user_app = typer.Typer(help="Manage users of a running instance.", no_args_is_help=True)


@user_app.command("passwd")
def passwd(
    username: str = typer.Argument(..., help="Whose password to change, e.g. admin"),
    new_password: str = typer.Option(
        ...,
        "--new-password",
        envvar="SMARTPDU_NEW_PASSWORD",
        prompt="New password",
        hide_input=True,
        confirmation_prompt=True,
        help="The new password (asked at the prompt when not given)",
    ),
    url: str | None = UrlOpt,
    token: str | None = TokenOpt,
    user: str | None = UserOpt,
    password: str | None = PasswordOpt,
) -> None:
    """Change USERNAME's password (needs an admin login; the user's sessions end)."""
    with _client(url, token, user, password) as c:
        c.patch(f"/users/{username}", password=new_password)
    console.print(f"password of {username} changed; their sessions were ended")
