"""Tasks: inbox filters, completion body, and the task as returned."""
from __future__ import annotations

from marshmallow import Schema, fields

from .fields import text, variables
from .clerk_work import due_field, sort_field
from .paging import PageArgsSchema, PageSchema


class TaskArgsSchema(PageArgsSchema):
    assigned_to_me = fields.Boolean(load_default=False)
    candidate_group = text(255)
    definition_key = text(255)
    instance_id = text(64)
    due = due_field
    q = text(200, metadata={"description": "Text in the business key or an applicant field (any case)."})
    sort = sort_field


class CompleteSchema(Schema):
    data = variables(load_default=dict)


class TaskSchema(Schema):
    id = fields.String(required=True)
    instance_id = fields.String(required=True)
    definition_key = fields.String(required=True)
    element_id = fields.String(required=True)
    name = fields.String(allow_none=True)
    state = fields.String(required=True, metadata={"enum": ["ready", "completed", "cancelled"]})
    candidate_groups = fields.List(fields.String(), required=True)
    candidate_users = fields.List(fields.String(), required=True)
    assignee = fields.String(allow_none=True)
    form_key = fields.String(allow_none=True)
    due_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime(required=True)
    documentation = fields.String(allow_none=True)
    priority = fields.Integer(allow_none=True)
    item = fields.Dict(allow_none=True, metadata={
        "description": "A multi-instance task's item: `variable` (the element variable, or null), `index` "
                       "(its index or key) and `value` (the element variable's value); null for other tasks."})


class TaskDetailSchema(TaskSchema):
    form = fields.Dict(allow_none=True, metadata={"description": "The form-js schema, or null."})
    data = fields.Dict(required=True, metadata={"description": "The instance variables the form starts from."})


class TaskPageSchema(PageSchema):
    items = fields.List(fields.Nested(TaskSchema), required=True)
