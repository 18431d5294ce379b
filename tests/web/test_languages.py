"""The pages' languages without a browser (Flask test client): the switch (cookie, user row,
refused values), `<html lang dir>`, the scripts' catalogue, the catalogues themselves."""
from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from api.web import i18n

from .test_security import USERS, client, csrf_of, login  # noqa: F401 - the fixture

PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}")


def _switch(client, lang: str, page: str = "/login"):  # noqa: F811
    csrf = csrf_of(client.get(page))
    return client.post("/language", data={"lang": lang, "next": page, "csrf_token": csrf})


def test_language__anonymous_choice_is_a_cookie(client):  # noqa: F811
    assert '<html lang="fr" dir="ltr">' in client.get("/login").text
    response = _switch(client, "ar")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert "diwan_lang=ar" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]
    page = client.get("/login").text
    assert '<html lang="ar" dir="rtl">' in page and "تسجيل الدخول" in page
    assert '/i18n/ar.js' in page


def test_language__user_choice_is_kept_on_the_account(client, engine):  # noqa: F811
    login(client, "clerk")
    assert _switch(client, "ar", "/tasks").status_code == 302
    store = client.application.extensions["diwan.users"]
    assert store.get_user(USERS["clerk"][0]).language == "ar"
    client.delete_cookie("diwan_lang")
    assert '<html lang="ar" dir="rtl">' in client.get("/tasks").text  # from the account, not the cookie
    assert _switch(client, "fr", "/tasks").status_code == 302
    assert store.get_user(USERS["clerk"][0]).language == "fr"


@pytest.mark.parametrize("value", ["en", "", "ar<script>", "x" * 50])
def test_language__unknown_values_are_refused(client, value):  # noqa: F811
    response = _switch(client, value)
    assert response.status_code == 400 and "Langue inconnue" in response.text
    assert "diwan_lang" not in response.headers.get("Set-Cookie", "")


def test_language__switch_needs_the_csrf_token(client):  # noqa: F811
    response = client.post("/language", data={"lang": "ar", "next": "/login"})
    assert response.status_code == 400


def test_language__next_must_be_a_local_path(client):  # noqa: F811
    csrf = csrf_of(client.get("/login"))
    response = client.post("/language", data={"lang": "ar", "next": "//evil.example/x", "csrf_token": csrf})
    assert response.status_code == 302 and not response.headers["Location"].startswith("//")


def test_script_catalogue__served_as_a_script(client):  # noqa: F811
    response = client.get("/i18n/ar.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.text.startswith("window.DIWAN_MESSAGES = {")
    assert '"Valider la tâche": "المصادقة على المهمة"' in response.text
    assert '"task_completed": "انتهت المهمة"' in response.text  # the events' names (api/web/event_labels.py)
    french = client.get("/i18n/fr.js").text  # no script messages; the deploy catalogue (English -> French)
    assert french.startswith("window.DIWAN_MESSAGES = {};\nwindow.DIWAN_DEPLOY_MESSAGES = {")
    assert '"no files to deploy": "aucun fichier à déployer"' in french
    assert '"task_completed": "Tâche terminée"' in french and '"comment_added": "Commentaire"' in french
    assert client.get("/i18n/de.js").status_code == 404


def test_catalogues__arabic_translates_every_message_with_the_same_placeholders():
    template = read_po((i18n.TRANSLATIONS / "messages.pot").open("rb"))
    arabic = read_po((i18n.TRANSLATIONS / "ar" / "LC_MESSAGES" / "messages.po").open("rb"))
    ids = {m.id for m in template if m.id}
    translated = {m.id: m.string for m in arabic if m.id}
    assert ids - set(translated) == set(), "messages missing from ar/messages.po: run pybabel update"
    empty = [i for i in ids if not translated[i]]
    assert empty == []
    wrong = [i for i in ids if sorted(PLACEHOLDER.findall(i)) != sorted(PLACEHOLDER.findall(translated[i]))]
    assert wrong == []


def test_dates__in_the_engine_zone_and_the_page_language(client, engine):  # noqa: F811
    login(client, "clerk")
    page = client.get("/tasks").text
    assert re.search(r"Africa/Casablanca, UTC[+-]\d\d:\d\d", page)
    assert '<meta name="diwan-timezone" content="Africa/Casablanca">' in page
