"""The smorest Api, and the engine, user store and access rules kept in `app.extensions`."""
from __future__ import annotations

from flask import current_app
from flask_smorest import Api

from engine import Engine
from engine.access import InstanceAccess
from engine.identity import UserStore

from . import errors
from .schemas.error import ErrorSchema


class DiwanApi(Api):
    """flask-smorest's Api with diwan's error handler and error schema."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        errors.register(self._app)


def current_engine() -> Engine:
    return current_app.extensions["diwan"]


def current_users() -> UserStore:
    return current_app.extensions["diwan.users"]


def current_access() -> InstanceAccess:
    return current_app.extensions["diwan.access"]
