"""Process definitions, deployments, and the `?version=` argument."""
from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from .fields import MAX_INT


class VersionArgsSchema(Schema):
    version = fields.Integer(validate=validate.Range(min=1, max=MAX_INT),
                             metadata={"description": "A version (default: the latest)."})


class DefinitionSchema(Schema):
    id = fields.String(required=True)
    key = fields.String(required=True, metadata={"description": "The BPMN process id."})
    name = fields.String(allow_none=True)
    version = fields.Integer(required=True)
    deployed_at = fields.DateTime(required=True)
    start_form_key = fields.String(allow_none=True)


class DeploymentArgsSchema(Schema):
    files = fields.List(Upload(), required=True, validate=validate.Length(min=1, max=200),
                        metadata={"description": ".bpmn, .dmn and .form files"})


class DeployedDefinitionSchema(Schema):
    id = fields.String(required=True)
    key = fields.String(required=True)
    name = fields.String(allow_none=True)
    version = fields.Integer(required=True)


class DeployedItemSchema(Schema):
    key = fields.String(required=True)
    version = fields.Integer(required=True)


class DeploymentSchema(Schema):
    id = fields.String(required=True)
    definitions = fields.List(fields.Nested(DeployedDefinitionSchema), required=True)
    forms = fields.List(fields.Nested(DeployedItemSchema), required=True)
    decisions = fields.List(fields.Nested(DeployedItemSchema), required=True)
