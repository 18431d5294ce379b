"""Pagination: `page` from 1 (default 1), `per_page` default 50, at most 500; pages are `{"items", "total"}`."""
from __future__ import annotations

from marshmallow import Schema, fields

from .fields import page_number, per_page


class PageArgsSchema(Schema):
    page = page_number()
    per_page = per_page()


class PageSchema(Schema):
    """Base of the page envelopes; subclasses declare `items`."""

    total = fields.Integer(required=True, metadata={"description": "Items over all pages."})
    page = fields.Integer()
    per_page = fields.Integer()
