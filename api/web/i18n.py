"""The pages' languages (Flask-Babel): French by default, Arabic right to left.

- The message ids are the French texts themselves (the pages were written in French):
  `fr/LC_MESSAGES/messages.po` is the identity catalogue, `ar/...` holds the Arabic.
  The catalogues are compiled (`.mo`, not committed) when the app is built if a `.po` is
  newer than its `.mo` (`pybabel compile -d api/web/translations` does the same).
- The language is, in order: the signed-in user's choice (`user_account.language`), the
  `diwan_lang` cookie (anonymous pages: the login page), French.
- Dates are formatted by Babel in the engine's time zone (`DIWAN_TIMEZONE`), the same on
  every page; the pages' scripts read that zone and the language from `<html>` and meta tags.
- The scripts' own texts go through `diwan.t('texte français')`, whose catalogue is
  served as `window.DIWAN_MESSAGES` by `/i18n/<lang>.js` from the same `.po` (`pybabel extract` reads the
  scripts with the `t` keyword: babel.cfg).
"""
from __future__ import annotations

import logging
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, request
from flask_babel import Babel, format_datetime, format_decimal, get_locale, gettext

from ..auth import current_user
from ..extensions import current_engine

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
LANGUAGES = {"fr": "Français", "ar": "العربية"}
RTL = frozenset({"ar"})
DEFAULT = "fr"
COOKIE = "diwan_lang"
# Babel formats dates and numbers for Morocco (Latin digits, as the ministry writes them).
FORMAT_LOCALES = {"fr": "fr_FR", "ar": "ar_MA"}

log = logging.getLogger(__name__)


def current_language() -> str:
    """The language of this request's page: the user's choice, the cookie, French."""
    user = current_user()
    chosen = getattr(user, "language", None) or request.cookies.get(COOKIE)
    return chosen if chosen in LANGUAGES else DEFAULT


def _locale() -> str:
    return FORMAT_LOCALES[current_language()]


def _timezone() -> str:
    return current_engine().settings.timezone


def compile_catalogues(folder: Path = TRANSLATIONS) -> None:
    """Compile each `.po` whose `.mo` is missing or older (a read-only install keeps its `.mo`)."""
    for po in folder.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        try:
            with po.open("rb") as source:
                catalog = read_po(source, locale=po.parent.parent.name)
            with mo.open("wb") as target:
                write_mo(target, catalog)
        except OSError as exc:  # pragma: no cover - a read-only tree without compiled catalogues
            log.warning("cannot compile %s: %s", po, exc)


def script_messages(language: str) -> dict[str, str]:
    """The scripts' catalogue: every translated message of `language` (French: empty)."""
    if language == DEFAULT or language not in LANGUAGES:
        return {}
    po = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    return _read_messages(po, po.stat().st_mtime)


def deploy_messages(language: str) -> dict[str, str]:
    """The engine's messages to designers in `language` (French too): English template -> translation.

    The `deploy` domain (`*/LC_MESSAGES/deploy.po`, English msgids extracted from `msg(...)` over the
    engine: babel-deploy.cfg, scripts/i18n-update); the pages render each problem's `template` with its
    `params` (common.js `diwan.problemText`)."""
    if language not in LANGUAGES:
        return {}
    po = TRANSLATIONS / language / "LC_MESSAGES" / "deploy.po"
    return _read_messages(po, po.stat().st_mtime) if po.exists() else {}


@lru_cache(maxsize=8)
def _read_messages(po: Path, mtime: float) -> dict[str, str]:  # mtime: a changed catalogue is read again
    with po.open("rb") as source:
        catalog = read_po(source, locale=po.parent.parent.name)
    return {m.id: m.string for m in catalog if m.id and isinstance(m.id, str) and m.string and not m.fuzzy}


def format_when(value, fmt: str = "short") -> str:
    """A date and time in the engine's zone and the page's language ("03/12/2026 14:05")."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    pattern = {"short": "dd/MM/yyyy HH:mm", "long": "d MMMM yyyy HH:mm", "seconds": "dd/MM/yyyy HH:mm:ss"}.get(fmt, fmt)
    return format_datetime(value, pattern)


def as_text(value) -> str:
    """A stored value as people read it: lists as lists, objects as "key : value ; ...", never JSON."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext("Oui") if value else gettext("Non")
    if isinstance(value, (list, tuple)):
        return ", ".join(as_text(v) for v in value) or "—"
    if isinstance(value, dict):
        return " ; ".join(f"{k} : {as_text(v)}" for k, v in value.items()) or "—"
    return str(value)


def filesize(size: int | None) -> str:
    """A file's size as people read it ("12 octets", "34,5 Ko", "1,2 Mo")."""
    size = int(size or 0)
    if size < 1024:
        return gettext("%(n)s octets", n=size)
    if size < 1024 * 1024:
        return gettext("%(n)s Ko", n=format_decimal(round(size / 1024, 1)))
    return gettext("%(n)s Mo", n=format_decimal(round(size / (1024 * 1024), 1)))


def hours(value) -> str:
    """A duration in hours, one decimal, in the page's language ("2,5 h")."""
    return gettext("%(n)s h", n=format_decimal(round(float(value or 0), 1), format="0.0"))


def who(actor: str | None) -> str:
    """An actor as people read it: the engine's own steps are "système"."""
    return gettext("système") if actor == "system" else (actor or "")


def zone_label() -> str:
    """The time zone the pages show times in, with its offset now ("Africa/Casablanca, UTC+01:00")."""
    engine = current_engine()
    offset = engine.clock.now().astimezone(engine.tz).strftime("%z")
    return f"{engine.settings.timezone}, UTC{offset[:3]}:{offset[3:]}"


def _globals() -> dict:
    language = current_language()
    return {"lang": language, "text_dir": "rtl" if language in RTL else "ltr", "languages": LANGUAGES,
            "zone_label": zone_label, "timezone_name": current_engine().settings.timezone}


def register(app: Flask) -> None:
    compile_catalogues()
    Babel(app, default_locale="fr_FR", default_translation_directories=str(TRANSLATIONS),
          locale_selector=_locale, timezone_selector=_timezone)
    app.context_processor(_globals)
    app.jinja_env.filters["dt"] = format_when
    app.jinja_env.filters["as_text"] = as_text
    app.jinja_env.filters["who"] = who
    app.jinja_env.filters["filesize"] = filesize
    app.jinja_env.filters["hours"] = hours


__all__ = ["LANGUAGES", "COOKIE", "current_language", "script_messages", "deploy_messages", "format_when", "gettext", "get_locale",
           "register"]
