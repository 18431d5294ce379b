"""A smorest Blueprint whose argument parser reads JSON bodies strictly (API.md, Errors: 400)."""
from __future__ import annotations

import typing

import flask_smorest
import marshmallow as ma
import orjson
from flask import Request
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request


class DiwanParser(FlaskParser):
    """webargs' Flask parser, but:

    - a body that is not JSON (content type or syntax) is a 400, never a silent `missing`;
    - a missing body is a 400 where the schema has required fields;
    - files are read from multipart/form-data only (anything else: 400);
    - bodies are parsed with orjson, which refuses lone surrogates, NaN and nesting
      deeper than 1024 (the standard parser would recurse until it crashes).
    """

    def load_json(self, req: Request, schema: ma.Schema) -> typing.Any:
        body = req.get_data(cache=True)  # over MAX_CONTENT_LENGTH: werkzeug raises 413 here
        if not body.strip():
            if any(f.required for f in schema.fields.values()):
                abort(400, message="A JSON body is required.")
            return core.missing
        if not is_json_request(req):
            abort(400, message="Wrong content type: send application/json.")
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            abort(400, message=f"Malformed JSON: {exc}")

    def load_files(self, req: Request, schema: ma.Schema) -> typing.Any:
        if req.mimetype != "multipart/form-data":
            abort(400, message="Wrong content type: send multipart/form-data.")
        return super().load_files(req, schema)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = DiwanParser()
