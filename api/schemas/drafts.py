"""Drafts, their preview and publication; a definition's life (withdraw, starters); the admin log."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from engine.identity import GROUP

from .fields import MAX_INT, text
from .paging import PageArgsSchema, PageSchema

KINDS = ("process", "decision", "form")
MAX_SOURCE = 10_000_000


class DraftSchema(Schema):
    kind = fields.String(required=True, metadata={"enum": list(KINDS)})
    key = fields.String(required=True)
    base_version = fields.Integer(allow_none=True, metadata={
        "description": "The published version the draft started from (null: a new definition)."})
    filename = fields.String(required=True)
    source = fields.String(required=True, metadata={"description": "BPMN/DMN XML or form-js JSON, as saved."})
    revision = fields.Integer(required=True, metadata={"description": "1 at creation, +1 per save."})
    created_by = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    saved_by = fields.String(required=True)
    saved_at = fields.DateTime(required=True)


class DraftSaveSchema(Schema):
    source = text(MAX_SOURCE, min_length=1, required=True)
    revision = fields.Integer(required=True, validate=validate.Range(min=0, max=MAX_INT), metadata={
        "description": "The revision the save was made from (0: the first save)."})
    base_version = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=1, max=MAX_INT),
                                  metadata={"description": "First save only: the version opened (null: new)."})


class RevisionSchema(Schema):
    revision = fields.Integer(required=True, validate=validate.Range(min=0, max=MAX_INT))


class CurrentVersionSchema(Schema):
    version = fields.Integer(required=True)
    source = fields.String(required=True)
    deployed_at = fields.DateTime(required=True)


class ProblemSchema(Schema):
    file = fields.String(allow_none=True)
    element = fields.String(allow_none=True)
    message = fields.String(required=True, metadata={"description": "In English."})
    template = fields.String(allow_none=True, metadata={"description": "The message's English template, `{name}` "
                                                                      "placeholders (the deploy catalogue's msgid)."})
    params = fields.Raw(metadata={"description": "The placeholders' values: text, numbers, or nested "
                                                 "{template, params}."})


class PreviewSchema(Schema):
    draft = fields.Nested(DraftSchema, required=True)
    current = fields.Nested(CurrentVersionSchema, allow_none=True)
    stale = fields.Boolean(required=True, metadata={"description": "A version was published since the draft's base: "
                                                                   "publishing is refused (409)."})
    valid = fields.Boolean(required=True)
    errors = fields.List(fields.Nested(ProblemSchema), required=True)
    status = fields.String(allow_none=True, metadata={"description": "new, unchanged or older (a new version "
                                                                     "re-publishing that older one)."})
    same_as_version = fields.Integer(allow_none=True)
    text_diff = fields.String(required=True, metadata={"description": "Unified diff of the current text and the draft's."})


class WithdrawSchema(Schema):
    reason = text(2000, allow_none=True, load_default=None)


class StartersSchema(Schema):
    groups = fields.List(text(255, min_length=1, validate=[validate.Regexp(f"^{GROUP.pattern}$")]), required=True,
                         validate=validate.Length(max=100),
                         metadata={"description": "Whose clerks may start the process; empty: every clerk."})


class ProcessStateSchema(Schema):
    key = fields.String(required=True)
    withdrawn = fields.Boolean(required=True)
    starter_groups = fields.List(fields.String(), required=True)


class AdminEventArgsSchema(PageArgsSchema):
    subject = text(300, metadata={"description": "Only this subject: process:KEY, form:KEY, user:NAME, group:NAME..."})


class AdminEventSchema(Schema):
    seq = fields.Integer(required=True)
    at = fields.DateTime(required=True)
    type = fields.String(required=True)
    actor = fields.String(required=True)
    subject = fields.String(required=True)
    payload = fields.Dict(required=True)
    prev_hash = fields.String(required=True)
    hash = fields.String(required=True)


class AdminEventPageSchema(PageSchema):
    items = fields.List(fields.Nested(AdminEventSchema), required=True)


class AdminLogVerifySchema(Schema):
    chain_ok = fields.Boolean(required=True)
    first_bad_seq = fields.Integer(allow_none=True)


class MigrationSchema(Schema):
    to_version = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_INT))
    from_version = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=1, max=MAX_INT),
                                  metadata={"description": "Only the instances on this version."})
    instance_ids = fields.List(text(36, min_length=1), load_default=list, validate=validate.Length(max=1000),
                               metadata={"description": "These instances (default: every live one on another version)."})
    mapping = fields.Dict(keys=text(255, min_length=1), values=text(255, min_length=1), load_default=dict,
                          metadata={"description": "Element ids renamed in the target version: {old: new}."})
    dry_run = fields.Boolean(load_default=False, metadata={"description": "true: say what would happen, change nothing."})


class MigrationItemSchema(Schema):
    instance_id = fields.String(required=True)
    business_key = fields.String(allow_none=True)
    from_version = fields.Integer(required=True)
    ok = fields.Boolean(required=True)
    unmapped = fields.List(fields.String(), required=True, metadata={
        "description": "Elements of the instance's state the target version does not have."})
    reason = fields.String(metadata={"description": "Why it cannot move."})


class MigrationResultSchema(Schema):
    dry_run = fields.Boolean(required=True)
    to_version = fields.Integer(required=True)
    instances = fields.List(fields.Nested(MigrationItemSchema), required=True)
    migrated = fields.Integer(required=True)
