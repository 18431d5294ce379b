"""A smorest Blueprint whose argument parser reads JSON bodies strictly (API.md, Errors: 400)."""
from __future__ import annotations

import json
import typing

import flask_smorest
import marshmallow as ma
import orjson
from flask import Request
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request

from engine.values import MAX_DEPTH

MAX_BODY_DEPTH = MAX_DEPTH + 2
"""Levels a JSON body may nest: the body object, its `data` object, then the variables' own."""
INT64_LIMIT = 2.0 ** 63


class DiwanParser(FlaskParser):
    """webargs' Flask parser, but:

    - a body that is not JSON (content type or syntax) is a 400, never a silent `missing`;
    - a missing body is a 400 where the schema has required fields;
    - files are read from multipart/form-data only (anything else: 400);
    - bodies are parsed with orjson, which refuses lone surrogates, NaN and nesting
      deeper than 1024 (the standard parser would recurse until it crashes); a body
      nesting deeper than MAX_BODY_DEPTH (the value domain's MAX_DEPTH, plus the body
      object and its `data`) is a 400;
    - an integer beyond 64 bits stays an integer (orjson would make it a float), so
      the engine refuses it by name instead of storing a rounded number.
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
            value = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            abort(400, message=f"Malformed JSON: {exc}")
        depth, big_number = _shape(value)
        if depth > MAX_BODY_DEPTH:
            abort(400, message=f"The JSON body nests {depth} levels deep, more than the {MAX_BODY_DEPTH} allowed "
                               f"(process variables may nest {MAX_DEPTH} levels).")
        if big_number:
            # orjson reads an integer beyond 64 bits as a float: read the body again with the
            # standard parser, which keeps it an integer (the value domain then refuses it,
            # naming the field). The body was checked above: no NaN, no lone surrogate, shallow.
            value = json.loads(body)
        return value

    def load_querystring(self, req: Request, schema: ma.Schema) -> typing.Any:
        return self._makeproxy(QueryArgs(req.args), schema)

    def load_files(self, req: Request, schema: ma.Schema) -> typing.Any:
        if req.mimetype != "multipart/form-data":
            abort(400, message="Wrong content type: send multipart/form-data.")
        return super().load_files(req, schema)


class QueryArgs(dict):
    """A request's query arguments as webargs reads them (`get`: the first value, `getlist`: all),
    without werkzeug's MultiDict, whose `get` raises and catches an HTTP exception for each
    absent key: a schema's every optional argument that a request leaves out."""

    def __init__(self, args):
        super().__init__(args.lists())

    def get(self, key, default=None):
        values = dict.get(self, key)
        return values[0] if values else default

    def getlist(self, key) -> list:
        return list(dict.get(self, key, ()))


def _shape(value: typing.Any) -> tuple[int, bool]:
    """How deep a parsed body nests, and whether it holds a number as large as 2**63 (which
    may have been an integer turned float), walked without recursion."""
    depth, big, todo = 0, False, [(value, 1)]
    while todo:
        item, level = todo.pop()
        kind = type(item)
        if kind is dict or kind is list:
            if level > depth:
                depth = level
                if depth > MAX_BODY_DEPTH:
                    break
            todo.extend((child, level + 1) for child in (item.values() if kind is dict else item))
        elif kind is float and abs(item) >= INT64_LIMIT:
            big = True
    return depth, big


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = DiwanParser()
