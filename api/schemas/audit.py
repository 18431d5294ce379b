"""Audit: time travel, verification, incidents and the manual clock."""
from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .instances import IncidentSchema
from .paging import PageArgsSchema, PageSchema


class StateArgsSchema(Schema):
    at_seq = fields.Integer(required=True, validate=validate.Range(min=1),
                            metadata={"description": "The event after which to show the instance."})


class OpenTaskSchema(Schema):
    id = fields.String(required=True)
    element_id = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    candidate_groups = fields.List(fields.String())
    assignee = fields.String(allow_none=True)


class StateSchema(Schema):
    seq = fields.Integer(required=True)
    data = fields.Dict(required=True)
    status = fields.String(required=True)
    active_elements = fields.List(fields.String(), required=True)
    open_tasks = fields.List(fields.Nested(OpenTaskSchema), required=True)
    completed_elements = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True, metadata={
        "description": "Element id -> how many times it completed up to this event."})
    taken_flows = fields.List(fields.String(), required=True, metadata={
        "description": "Sequence flows the history took up to this event (a gateway's chosen branches only)."})


class FindingSchema(Schema):
    kind = fields.String(required=True, metadata={
        "description": "head, instance, state, task, timer, subscription or checkpoint."})
    subject = fields.String(required=True, metadata={"description": "What differs (a column, a task's field, ...)."})
    stored = fields.Raw(allow_none=True, required=True, metadata={"description": "The value in the database."})
    expected = fields.Raw(allow_none=True, required=True,
                          metadata={"description": "The value the hash chain, the replay or the checkpoint implies."})
    detail = fields.String(required=True)


class CheckpointStatusSchema(Schema):
    status = fields.String(required=True, metadata={
        "description": "verified, not_covered (newer than the latest checkpoint), none (no checkpoint yet), "
                       "off (no audit key) or failed."})
    seq = fields.Integer(allow_none=True, required=True, metadata={"description": "The latest checkpoint's seq."})
    event_seq = fields.Integer(allow_none=True, required=True,
                               metadata={"description": "The instance's event the checkpoint signed."})
    detail = fields.String(required=True)


class VerifySchema(Schema):
    instance_id = fields.String(required=True)
    ok = fields.Boolean(required=True, metadata={"description": "chain_ok and replay_ok and projections_ok."})
    chain_ok = fields.Boolean(required=True, metadata={
        "description": "Links and hashes hold, the head is the last event, the latest checkpoint's hash is there."})
    replay_ok = fields.Boolean(required=True)
    projections_ok = fields.Boolean(allow_none=True, required=True, metadata={
        "description": "The instance row, state, task, timer and subscription rows are what the chain and the "
                       "replay say (null: not checked, the chain is broken)."})
    first_bad_seq = fields.Integer(allow_none=True, required=True)
    detail = fields.String(required=True)
    findings = fields.List(fields.Nested(FindingSchema), required=True)
    checkpoint = fields.Nested(CheckpointStatusSchema, required=True)


class CheckpointArgsSchema(Schema):
    leaves = fields.Boolean(load_default=False, metadata={"description": "Include every signed head."})


class PublicKeySchema(Schema):
    algorithm = fields.String(required=True)
    key_id = fields.String(required=True, metadata={"description": "sha256 (hex) of the raw public key."})
    raw_base64 = fields.String(required=True)
    pem = fields.String(required=True)


class LeafSchema(Schema):
    instance_id = fields.String(required=True)
    seq = fields.Integer(required=True)
    hash = fields.String(required=True)


class CheckpointSchema(Schema):
    format = fields.String(required=True)
    seq = fields.Integer(required=True)
    at = fields.String(required=True)
    root = fields.String(required=True, metadata={"description": "RFC 6962 Merkle tree hash of the leaves (hex)."})
    leaf_count = fields.Integer(required=True)
    prev = fields.String(required=True, metadata={"description": "sha256 of the previous checkpoint's signed text."})
    key_id = fields.String(required=True)
    signature = fields.String(required=True, metadata={"description": "Ed25519 over signed_text (hex)."})
    signed_text = fields.String(required=True)
    public_key = fields.Nested(PublicKeySchema, metadata={"description": "From the key file, not the database."})
    leaves = fields.List(fields.Nested(LeafSchema))


class LatestCheckpointSchema(Schema):
    enabled = fields.Boolean(required=True, metadata={"description": "False: no audit key, checkpoints are off."})
    detail = fields.String(required=True)
    checkpoint = fields.Nested(CheckpointSchema, allow_none=True, required=True)


class IncidentWithInstanceSchema(IncidentSchema):
    instance_id = fields.String(required=True)


class IncidentPageSchema(PageSchema):
    items = fields.List(fields.Nested(IncidentWithInstanceSchema), required=True)


class IncidentArgsSchema(PageArgsSchema):
    pass


class ClockSchema(Schema):
    advance = fields.String(metadata={"description": "An ISO 8601 duration, e.g. P3D."})
    set = fields.AwareDateTime(metadata={"description": "A time with a UTC offset, not before now."})

    @validates_schema
    def _one_of(self, data, **_):
        if ("advance" in data) == ("set" in data):
            raise ValidationError("Give exactly one of advance and set.", "_schema")


class ClockResultSchema(Schema):
    now = fields.DateTime(required=True)
    fired = fields.Integer(required=True)
