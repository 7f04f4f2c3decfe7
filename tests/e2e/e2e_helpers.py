"""Steps the browser tests share: signing a demo user in and out through the real forms."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect


def log_in(page: Any, server: dict[str, Any], username: str) -> None:
    user = server["users"][username]
    page.goto(server["url"] + "/login")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", user.password)
    page.click("form.form button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/login"))


def log_out(page: Any) -> None:
    page.click("form.logout button")
    expect(page).to_have_url(re.compile(r"/login"))
