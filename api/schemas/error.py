"""The error body every failure returns."""
from __future__ import annotations

from marshmallow import Schema, fields


class ErrorSchema(Schema):
    code = fields.String(metadata={"description": "bad_request, unauthorized, forbidden, not_found, conflict, "
                                                  "too_large, validation_error, invalid_definition, script_error, "
                                                  "too_many_requests, unavailable"})
    message = fields.String()
    errors = fields.Raw(metadata={"description": "Per field ({field: [messages]}) or per element "
                                                 "([{file, element, message, template, params}])."})
