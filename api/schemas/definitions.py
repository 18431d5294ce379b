"""Process definitions, deployments, and the `?version=` argument."""
from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from .fields import MAX_INT


class VersionArgsSchema(Schema):
    version = fields.Integer(validate=validate.Range(min=1, max=MAX_INT),
                             metadata={"description": "A version (default: the latest)."})


class SourceArgsSchema(VersionArgsSchema):
    download = fields.Boolean(load_default=False, metadata={
        "description": "true: sent as an attachment named KEY-vN.bpmn (.dmn, .form)."})


class DefinitionSchema(Schema):
    id = fields.String(required=True)
    key = fields.String(required=True, metadata={"description": "The BPMN process id."})
    name = fields.String(allow_none=True)
    version = fields.Integer(required=True)
    deployed_at = fields.DateTime(required=True)
    start_form_key = fields.String(allow_none=True)
    withdrawn = fields.Boolean(metadata={"description": "Withdrawn: no new starts (running instances go on)."})
    starter_groups = fields.List(fields.String(), metadata={"description": "Set by an admin: whose clerks may start "
                                                                           "it (replaces the diagram's candidate "
                                                                           "starters); empty: the diagram decides."})
    candidate_starter_groups = fields.List(fields.String(), metadata={
        "description": "The diagram's camunda:candidateStarterGroups (when no admin set starter groups)."})
    candidate_starter_users = fields.List(fields.String(), metadata={
        "description": "The diagram's camunda:candidateStarterUsers (when no admin set starter groups); "
                       "with neither list, every clerk may start it."})


class DeploymentArgsSchema(Schema):
    files = fields.List(Upload(), required=True, validate=validate.Length(min=1, max=200),
                        metadata={"description": ".bpmn, .dmn and .form files"})


DEPLOY_STATUSES = ("new", "unchanged", "older", "kept")
_STATUS = {"description": "`new`: this upload made the version; `unchanged`: the current version says the same "
                          "(formatting aside); `older`: the bytes of this older version, the newer current one "
                          "stays (re-publish an old version explicitly); `kept`: a bundled deploy left the "
                          "existing versions alone.", "enum": list(DEPLOY_STATUSES)}


class DeployedDefinitionSchema(Schema):
    id = fields.String(required=True)
    key = fields.String(required=True)
    name = fields.String(allow_none=True)
    version = fields.Integer(required=True)
    status = fields.String(metadata=_STATUS)


class DeployedItemSchema(Schema):
    key = fields.String(required=True)
    version = fields.Integer(required=True)
    status = fields.String(metadata=_STATUS)


class DeploymentSchema(Schema):
    id = fields.String(required=True)
    definitions = fields.List(fields.Nested(DeployedDefinitionSchema), required=True)
    forms = fields.List(fields.Nested(DeployedItemSchema), required=True)
    decisions = fields.List(fields.Nested(DeployedItemSchema), required=True)
