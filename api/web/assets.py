"""`/vendor/<path>`: browser bundles of the npm packages in package.json, read from node_modules.

Only the files and folders of `ALLOWED` are served (the set-up script installs them with
`npm install`; node_modules is not committed). `WEB_NODE_MODULES` (`DIWAN_WEB_NODE_MODULES`)
points elsewhere when the packages are installed in another folder.
"""
from __future__ import annotations

import posixpath
from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory

bp = Blueprint("vendor", __name__)

DEFAULT_NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"

# Files, or folders ending with "/", under node_modules.
ALLOWED = (
    "bpmn-js/dist/bpmn-modeler.production.min.js",
    "bpmn-js/dist/bpmn-navigated-viewer.production.min.js",
    "bpmn-js/dist/assets/",
    "@bpmn-io/form-js/dist/form-viewer.umd.js",
    "@bpmn-io/form-js/dist/form-editor.umd.js",
    "@bpmn-io/form-js/dist/assets/",
    "dmn-js/dist/dmn-modeler.production.min.js",
    "dmn-js/dist/assets/",
    "bpmn-js-properties-panel/dist/bpmn-js-properties-panel.umd.js",
    "@bpmn-io/properties-panel/dist/assets/properties-panel.css",
    "camunda-bpmn-moddle/resources/camunda.json",
    "chart.js/dist/chart.umd.min.js",  # the SLA dashboard's charts
    ".diwan/bpmn-differ.js",  # bpmn-js-differ, bundled by `npm run build` (scripts/setup-venv)
)


def node_modules() -> Path:
    return Path(current_app.config.get("WEB_NODE_MODULES") or DEFAULT_NODE_MODULES)


def allowed(name: str) -> bool:
    norm = posixpath.normpath(name)
    if norm != name or name.startswith(("/", "..")) or "\\" in name or "\x00" in name:
        return False
    return any(name == entry or (entry.endswith("/") and name.startswith(entry)) for entry in ALLOWED)


@bp.get("/vendor/<path:name>")
def vendor(name: str):
    if not allowed(name):
        abort(404)
    return send_from_directory(node_modules(), name, max_age=3600)


def installed() -> bool:
    """Whether the bundles are there (`npm install` was run)."""
    return (node_modules() / ALLOWED[0]).is_file()
