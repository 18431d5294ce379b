"""External tasks: Camunda 7's request bodies and answers (its camelCase names, as its clients send them)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from .fields import text

MAX_INT32 = 2**31 - 1
MAX_DURATION_MS = 10 * 366 * 24 * 3600 * 1000  # ten years: beyond it a lock would never run out anyway
MAX_WAIT_MS = 1_800_000  # Camunda's limit on asyncResponseTimeout (30 minutes)


def _duration(**kwargs) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_DURATION_MS), **kwargs)


def _names(max_length: int = 255, **kwargs) -> fields.List:
    return fields.List(text(max_length), allow_none=True, **kwargs)


class ExternalSortingSchema(Schema):
    sortBy = fields.String(required=True, validate=validate.OneOf(["createTime"]))
    sortOrder = fields.String(required=True, validate=validate.OneOf(["asc", "desc"]))


class ExternalTopicSchema(Schema):
    topicName = text(255, min_length=1, required=True)
    lockDuration = _duration(required=True, metadata={"description": "Milliseconds (real time)."})
    variables = _names(metadata={"description": "Names of the variables to return; none: all of them."})
    localVariables = fields.Boolean(allow_none=True, metadata={
        "description": "Only the task's own variables (a multi-instance item)."})
    businessKey = text(255, allow_none=True)
    processDefinitionId = text(64, allow_none=True)
    processDefinitionIdIn = _names(64)
    processDefinitionKey = text(255, allow_none=True)
    processDefinitionKeyIn = _names()
    processDefinitionVersionTag = text(255, allow_none=True, metadata={
        "description": "diwan's processes have no version tag: a tag matches no task."})
    withoutTenantId = fields.Boolean(allow_none=True)
    tenantIdIn = _names(64)
    processVariables = fields.Dict(keys=fields.String(), allow_none=True, metadata={
        "description": "Only tasks whose instance has these variable values."})
    deserializeValues = fields.Boolean(allow_none=True)
    includeExtensionProperties = fields.Boolean(allow_none=True)


class ExternalFetchAndLockSchema(Schema):
    workerId = text(255, min_length=1, required=True)
    maxTasks = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=1000))
    usePriority = fields.Boolean(allow_none=True)
    asyncResponseTimeout = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=0, max=MAX_WAIT_MS),
                                          metadata={"description": "Long polling: wait up to this many ms for tasks "
                                                                   "(capped by DIWAN_EXTERNAL_TASK_MAX_WAIT_SECONDS)."})
    topics = fields.List(fields.Nested(ExternalTopicSchema), allow_none=True)
    sorting = fields.List(fields.Nested(ExternalSortingSchema), allow_none=True)


def _variables(description: str) -> fields.Dict:
    return fields.Dict(keys=fields.String(), allow_none=True, metadata={
        "description": description + ' Each a typed value {"value", "type", "valueInfo"}.'})


class ExternalCompleteSchema(Schema):
    workerId = text(255, min_length=1, required=True)
    variables = _variables("Variables of the instance.")
    localVariables = _variables("Variables of the task's own scope (recorded; they end with the task).")


class ExternalFailureSchema(Schema):
    workerId = text(255, min_length=1, required=True)
    errorMessage = fields.String(allow_none=True, validate=validate.Length(max=100_000))
    errorDetails = fields.String(allow_none=True, validate=validate.Length(max=1_000_000))
    retries = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=0, max=MAX_INT32),
                             metadata={"description": "Retries left; 0 (the default, as in Camunda) opens an incident."})
    retryTimeout = fields.Integer(allow_none=True, strict=True, validate=validate.Range(min=0, max=MAX_DURATION_MS),
                                  metadata={"description": "Milliseconds before the task may be fetched again."})


class ExternalBpmnErrorSchema(Schema):
    workerId = text(255, min_length=1, required=True)
    errorCode = text(255, min_length=1, required=True)
    errorMessage = fields.String(allow_none=True, validate=validate.Length(max=100_000))
    variables = _variables("Variables set before the error is thrown.")


class ExternalExtendLockSchema(Schema):
    workerId = text(255, min_length=1, required=True)
    newDuration = _duration(required=True, metadata={"description": "Milliseconds from now."})


class ExternalLockSchema(Schema):
    workerId = text(255, min_length=1, required=True)
    lockDuration = _duration(required=True, metadata={"description": "Milliseconds from now."})


class ExternalTaskArgsSchema(Schema):
    topicName = text(255)
    workerId = text(255)
    processInstanceId = text(64)
    activityId = text(255)
    locked = fields.Boolean()
    notLocked = fields.Boolean()
    withRetriesLeft = fields.Boolean()
    noRetriesLeft = fields.Boolean()
    firstResult = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_INT32))
    maxResults = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class ExternalTaskSchema(Schema):
    id = fields.String(required=True)
    activityId = fields.String(required=True)
    activityInstanceId = fields.String(required=True)
    executionId = fields.String(required=True)
    processInstanceId = fields.String(required=True)
    processDefinitionId = fields.String(required=True)
    processDefinitionKey = fields.String(required=True)
    processDefinitionVersionTag = fields.String(allow_none=True)
    topicName = fields.String(required=True)
    workerId = fields.String(allow_none=True)
    lockExpirationTime = fields.String(allow_none=True, metadata={"description": "yyyy-MM-dd'T'HH:mm:ss.SSSZ"})
    createTime = fields.String(required=True)
    retries = fields.Integer(allow_none=True)
    errorMessage = fields.String(allow_none=True)
    suspended = fields.Boolean(required=True)
    tenantId = fields.String(allow_none=True)
    priority = fields.Integer(required=True)
    businessKey = fields.String(allow_none=True)


class LockedExternalTaskSchema(ExternalTaskSchema):
    errorDetails = fields.String(allow_none=True)
    variables = fields.Dict(required=True, metadata={"description": "Typed values by name."})
    extensionProperties = fields.Dict(keys=fields.String(), values=fields.String())

