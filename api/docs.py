"""`/api/docs`: Swagger UI over /api/v1/openapi.json, its assets served from `DOCS_ASSETS` (no CDN).

Install them once, e.g. `npm install --prefix /opt/diwan-docs swagger-ui-dist` and set
`DIWAN_DOCS_ASSETS=/opt/diwan-docs/node_modules/swagger-ui-dist`. Without it the page
says how (404).
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, current_app, send_from_directory

from .errors import error_response

bp = Blueprint("docs", __name__, url_prefix="/api/docs")

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>diwan API</title>
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui" data-url="/api/v1/openapi.json"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/assets/js/docs.js"></script>
</body></html>
"""


def _assets() -> Path | None:
    folder = current_app.config.get("DOCS_ASSETS")
    path = Path(folder) if folder else None
    return path if path is not None and (path / "swagger-ui-bundle.js").is_file() else None


@bp.get("")
def page():
    """Swagger UI"""
    if _assets() is None:
        return error_response(404, "not_found", "API docs assets are not installed: set DIWAN_DOCS_ASSETS to "
                                                "a swagger-ui-dist folder (the document is at /api/v1/openapi.json).")
    return PAGE, 200, {"Content-Type": "text/html; charset=utf-8"}


@bp.get("/assets/<path:name>")
def asset(name: str):
    folder = _assets()
    if folder is None:
        return error_response(404, "not_found", "API docs assets are not installed.")
    return send_from_directory(folder, name)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
