"""Helpers for the console's tests: a clock the test moves, users made directly, logging in like a browser."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from aiohttp import ClientResponse

from admin.roles import Role, User
from admin.state import ADMIN_APP, STORES, Stores
from tests.web.support import NOW, Client

PASSWORD = "en lang og god sætning 42"
CSRF = re.compile(r'name="csrf" value="([0-9a-f]*)"')


@dataclass
class MovableClock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def stores(client: Client) -> Stores:
    return client.app[ADMIN_APP][STORES]


async def make_user(client: Client, username: str, role: Role, municipality: str | None = None, *, at: datetime = NOW) -> User:
    return await stores(client).users.create(username, role, municipality, PASSWORD, at)


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found is not None, "the page has no form with a CSRF field"
    return found.group(1)


async def page_csrf(client: Client, path: str) -> str:
    response = await client.get(path, allow_redirects=False)
    assert response.status == 200, (path, response.status)
    return csrf_of(await response.text())


async def post_login(client: Client, username: str, password: str = PASSWORD, next_: str = "") -> ClientResponse:
    token = await page_csrf(client, "/admin/login")
    form = {"csrf": token, "username": username, "password": password, "next": next_}
    return await client.post("/admin/login", data=form, allow_redirects=False)


async def log_in(client: Client, username: str, *, totp_secret: str | None = None, at: datetime = NOW) -> None:
    """Log in fully (with the second factor when the user has one); fails the test otherwise."""
    response = await post_login(client, username)
    assert response.status == 303, await response.text()
    if totp_secret is not None:
        token = await page_csrf(client, "/admin/login/second-factor")
        code = pyotp.TOTP(totp_secret).at(at)
        response = await client.post(
            "/admin/login/second-factor", data={"csrf": token, "code": code, "next": "/admin/"}, allow_redirects=False
        )
        assert response.status == 303, await response.text()


async def post_form(client: Client, path: str, form: dict[str, str], *, csrf_from: str = "/admin/users") -> ClientResponse:
    token = await page_csrf(client, csrf_from)
    return await client.post(path, data={"csrf": token, **form}, allow_redirects=False)
