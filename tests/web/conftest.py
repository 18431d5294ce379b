"""Browser tests: a live diwan server in a thread on the test database, driven by
Playwright (Python, sync API) with Debian's Chromium (no `playwright install`).

Skipped with the exact install instruction when `DIWAN_SKIP_BROWSER_TESTS=1`, when
Playwright is not installed or when /usr/bin/chromium is missing. Screenshots of every
page go to test-artifacts/web/ (ignored by git).
"""
from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from api import create_app
from api.web import assets

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "web"
CHROMIUM = os.environ.get("DIWAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
INSTALL = ("browser tests need Debian's Chromium and Playwright: `apt-get update && DEBIAN_FRONTEND=noninteractive "
           "apt-get install -y chromium` (as root), `.venv/bin/pip install -e '.[test]'` (playwright; no "
           "`playwright install`) and `npm install` (package.json); ./scripts/test does all of that")

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "PASSWORD_PROFILE": "CHEAPEST",
    "LOGIN_MAX_FAILURES": 1000,
    "LOG_LEVEL": "WARNING",
}
PASSWORD = "correct horse battery"
# key: (username, roles, groups)
USERS = {
    "admin": ("root", ["admin"], []),
    "designer": ("nadia", ["designer"], []),
    "clerk": ("amina", ["clerk"], ["bureau_ordre", "clerks"]),
    "clerk2": ("karim", ["clerk"], ["service_social"]),
    "auditor": ("omar", ["auditor"], []),
}
# Console noise that is not an error of ours.
IGNORED_CONSOLE = (
    re.compile(r"minified copy of the development build of Inferno"),  # dmn-js production bundle
    re.compile(r"Failed to load resource: the server responded with a status of (401|403|404|409|422)"),  # asserted errors (wrong login, API refusals)
)


def _skip_reason() -> str | None:
    if os.environ.get("DIWAN_SKIP_BROWSER_TESTS") == "1":
        return f"DIWAN_SKIP_BROWSER_TESTS=1; {INSTALL}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return f"playwright is not installed; {INSTALL}"
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing; {INSTALL}"
    if not (ROOT / "node_modules" / assets.ALLOWED[0]).is_file():
        return f"node_modules is missing; {INSTALL}"
    return None


@pytest.fixture(scope="session")
def browser():
    reason = _skip_reason()
    if reason is not None:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def connectors():
    """The ministry's connectors (the bundled processes name them), notifications logged."""
    from engine.connectors.ministry import ministry_connectors
    from engine.connectors.transports import LogTransport

    return ministry_connectors(LogTransport())


@pytest.fixture
def web_app(engine):
    return create_app(dict(TEST_CONFIG), engine=engine)


@pytest.fixture
def users(web_app):
    store = web_app.extensions["diwan.users"]
    for name, roles, groups in USERS.values():
        store.create_user(name, PASSWORD, roles, groups)
    return {key: value[0] for key, value in USERS.items()}


@pytest.fixture
def live_server(web_app, users):
    server = make_server("127.0.0.1", 0, web_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


class Session:
    """A browser context for one user: pages that record JavaScript errors; screenshots."""

    def __init__(self, browser, base_url: str, test_name: str):
        self.context = browser.new_context(base_url=base_url, viewport={"width": 1440, "height": 900},
                                           locale="fr-FR", timezone_id="Africa/Casablanca", accept_downloads=True)
        self.context.set_default_timeout(15_000)
        self.errors: list[str] = []
        self.test_name = test_name
        self.page = self.new_page()

    def new_page(self):
        page = self.context.new_page()
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("console", self._console)
        return page

    def _console(self, message):
        if message.type == "error" and not any(p.search(message.text) for p in IGNORED_CONSOLE):
            self.errors.append(f"console: {message.text}")

    def login(self, username: str, page=None):
        page = page or self.page
        page.goto("/login")
        page.get_by_label("Identifiant").fill(username)
        page.get_by_label("Mot de passe").fill(PASSWORD)
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_url(re.compile(r"^(?!.*/login).*$"))
        return page

    def shot(self, name: str, page=None):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (page or self.page).screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def assert_no_errors(self):
        assert not self.errors, "JavaScript errors:\n" + "\n".join(self.errors)

    def close(self):
        self.context.close()


@pytest.fixture
def session_factory(browser, live_server, request):
    opened: list[Session] = []

    def make() -> Session:
        session = Session(browser, live_server, request.node.name)
        opened.append(session)
        return session

    yield make
    for session in opened:
        session.close()


def deploy_complaints(engine):
    """The complaint_handling process and its forms (from processes/bpmn and forms/)."""
    files = [ROOT / "processes" / "bpmn" / "complaint_handling.bpmn", *sorted((ROOT / "forms").glob("rec_*.form"))]
    engine.deploy([(f.name, f.read_bytes()) for f in files])


COMPLAINT = {
    "applicant_name": "Fatima Zahra El Idrissi", "id_number": "AB123456", "country_of_residence": "France",
    "consulate": "Consulat général du Royaume du Maroc à Lyon", "email": "f.elidrissi@example.org",
    "category": "consular_service",
    "description": "Mon passeport a été déposé il y a quatre mois et je n'ai reçu aucune nouvelle du consulat.",
}
