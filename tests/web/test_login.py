"""Login, the 403 page, logout, and /api/docs under the strict CSP, in the browser."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from .conftest import PASSWORD


def test_login_forbidden_page_docs_and_logout(session_factory, users):
    s = session_factory()
    page = s.page
    page.goto("/tasks")
    expect(page).to_have_url(re.compile(r"/login\?next=/tasks"))
    page.get_by_label("Identifiant").fill(users["clerk"])
    page.get_by_label("Mot de passe").fill("mauvais mot de passe")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("#login-error")).to_contain_text("incorrect")
    s.shot("login-error")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(re.compile(r"/tasks$"))
    expect(page.locator(".account")).to_contain_text(users["clerk"])

    page.goto("/modeler")
    expect(page.locator("h1")).to_have_text("Accès refusé")
    s.shot("forbidden")

    response = page.goto("/api/docs")
    if response.status == 200:  # swagger-ui-dist installed
        expect(page.locator("#swagger-ui .info")).to_be_visible()
        s.shot("api-docs")

    page.goto("/tasks")
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto("/tasks")
    expect(page).to_have_url(re.compile(r"/login"))
    s.assert_no_errors()
