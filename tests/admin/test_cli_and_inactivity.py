"""`muni admin …` from the command line, and inactive users warned at 335 days and removed at 365."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest

from admin.roles import Role, User
from admin.users import UserStore
from conversation.schema import upgrade_database
from gateway.settings import GatewaySettings
from muni.db import open_engine
from ops.cli import main
from tests.admin.support import PASSWORD, MovableClock, log_in, make_user, post_login, stores
from tests.web.support import Client


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'muni.db'}"
    monkeypatch.setenv("MUNI_DATABASE_URL", url)
    return url


def run(monkeypatch: pytest.MonkeyPatch, argv: list[str], stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(argv)


async def user_named(url: str, name: str) -> User | None:
    engine = open_engine(url)
    try:
        await upgrade_database(engine)
        return await UserStore(engine).by_name(name)
    finally:
        await engine.dispose()


def test_create_user_reads_the_password_from_stdin(
    cli_env: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["admin", "create-user", "anne", "--role", "municipality-admin", "--municipality", "aarhus", "--password-stdin"]
    assert run(monkeypatch, argv, PASSWORD + "\n") == 0
    assert "Created municipality-admin anne for aarhus" in capsys.readouterr().out
    import asyncio

    user = asyncio.run(user_named(cli_env, "anne"))
    assert user is not None and user.role is Role.MUNICIPALITY_ADMIN and user.municipality == "aarhus"
    assert run(monkeypatch, argv, PASSWORD + "\n") == 1  # the name is taken
    assert "optaget" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "stdin", "says"),
    [
        (["bo", "--role", "agent"], PASSWORD, "Brugernavnet"),
        (["anne", "--role", "agent"], "kort", "mindst 12 tegn"),
        (["anne", "--role", "content-editor"], PASSWORD, "skal have en kommune"),
        (["anne", "--role", "content-editor", "--municipality", "atlantis"], PASSWORD, "findes ikke"),
        (["anne", "--role", "consortium-admin", "--municipality", "aarhus"], PASSWORD, "hører ikke til én kommune"),
    ],
)
def test_create_user_refuses_bad_input_with_a_reason(
    cli_env: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str], stdin: str, says: str
) -> None:
    assert run(monkeypatch, ["admin", "create-user", *argv, "--password-stdin"], stdin + "\n") in (1, 2)
    assert says in capsys.readouterr().err


def test_reset_password_sets_a_new_one(cli_env: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    run(monkeypatch, ["admin", "create-user", "anne", "--role", "agent", "--password-stdin"], PASSWORD + "\n")
    new = "helt ny og lang adgangssætning"
    assert run(monkeypatch, ["admin", "reset-password", "anne", "--password-stdin"], new + "\n") == 0
    assert run(monkeypatch, ["admin", "reset-password", "ingen", "--password-stdin"], new + "\n") == 1
    import asyncio

    async def check() -> tuple[bool, bool]:
        engine = open_engine(cli_env)
        try:
            users = UserStore(engine)
            return (await users.check_password("anne", new) is not None, await users.check_password("anne", PASSWORD) is not None)
        finally:
            await engine.dispose()

    assert asyncio.run(check()) == (True, False)


async def test_reset_password_ends_the_users_sessions(
    console: Client, monkeypatch: pytest.MonkeyPatch, settings: GatewaySettings
) -> None:
    monkeypatch.setenv("MUNI_DATABASE_URL", settings.database_url)
    await make_user(console, "anne", Role.MUNICIPALITY_ADMIN, "aarhus")
    await log_in(console, "anne")
    import asyncio

    code = await asyncio.to_thread(
        run, monkeypatch, ["admin", "reset-password", "anne", "--password-stdin"], "helt ny og lang sætning\n"
    )
    assert code == 0
    assert (await console.get("/admin/users", allow_redirects=False)).status == 303


async def test_inactive_users_are_warned_then_removed(console: Client, clock: MovableClock) -> None:
    from admin.inactivity import expire_inactive

    admin = await make_user(console, "anne", Role.MUNICIPALITY_ADMIN, "aarhus", at=clock.now)
    idle = await make_user(console, "sovende", Role.CONTENT_EDITOR, "aarhus", at=clock.now)
    await log_in(console, "sovende")
    s = stores(console)

    clock.advance(timedelta(days=334))
    await log_in(console, "anne")  # anne keeps logging in
    assert (await expire_inactive(s.users, s.audit, clock.now)).warned == []

    clock.advance(timedelta(days=1))  # 335 days since sovende's login
    report = await expire_inactive(s.users, s.audit, clock.now)
    assert report.warned == [idle.id] and report.removed == []
    assert (await expire_inactive(s.users, s.audit, clock.now)).warned == []  # warned once
    await log_in(console, "anne")
    page = await (await console.get("/admin/m/aarhus/")).text()
    assert "ikke har logget ind i 11 måneder" in page and "sovende" in page
    assert "user.inactivity_warning" in [e.action for e in await s.audit.entries("aarhus")]

    clock.advance(timedelta(days=30))  # 365 days
    report = await expire_inactive(s.users, s.audit, clock.now)
    assert report.removed == [idle.id]
    removed = await s.users.get(idle.id)
    assert removed is not None and not removed.active and removed.username == f"slettet-{idle.id}"
    assert not removed.has_second_factor
    assert (await post_login(console, "sovende")).status == 401
    entries = await s.audit.entries("aarhus")
    assert entries[0].action == "user.removed_inactive" and entries[0].target == f"slettet-{idle.id}"
    assert all(e.target != "sovende" for e in entries)  # the log now names only the id
    still = await s.users.get(admin.id)
    assert still is not None and still.active


async def test_a_login_before_the_deadline_clears_the_warning(console: Client, clock: MovableClock) -> None:
    from admin.inactivity import expire_inactive

    user = await make_user(console, "anne", Role.CONTENT_EDITOR, "aarhus", at=clock.now)
    s = stores(console)
    clock.advance(timedelta(days=340))
    assert (await expire_inactive(s.users, s.audit, clock.now)).warned == [user.id]
    await log_in(console, "anne")
    clock.advance(timedelta(days=30))
    report = await expire_inactive(s.users, s.audit, clock.now)
    assert report.removed == [] and report.warned == []


def test_expire_inactive_runs_from_the_command_line(
    cli_env: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio
    from datetime import UTC, datetime

    async def old_user() -> None:
        engine = open_engine(cli_env)
        try:
            await upgrade_database(engine)
            await UserStore(engine).create("gammel", Role.AGENT, None, PASSWORD, datetime.now(UTC) - timedelta(days=400))
        finally:
            await engine.dispose()

    asyncio.run(old_user())
    assert run(monkeypatch, ["admin", "expire-inactive"]) == 0
    assert "0 user(s) warned, 1 deactivated" in capsys.readouterr().out
    assert asyncio.run(user_named(cli_env, "gammel")) is None
