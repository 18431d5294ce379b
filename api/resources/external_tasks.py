"""External tasks through Camunda 7's REST API (`/engine-rest/external-task`), so Camunda's
external-task clients work against diwan unchanged (README, "External tasks").

Workers hold the role `worker` (or `admin`) and authenticate with a bearer token or HTTP
Basic. Errors keep Camunda's shape (`type`, `message`), which the clients read, with
diwan's `code` and `errors` beside them.
"""
from __future__ import annotations

from copy import deepcopy

from flask import Response, current_app, jsonify
from flask.views import MethodView
from werkzeug.exceptions import HTTPException

from engine import DiwanError, FetchAndLock, TopicRequest

from ..auth import add_authenticator, basic_user, current_actor, requires
from ..blueprint import Blueprint
from ..errors import STATUS_BY_CODE, handle_http_exception
from ..extensions import current_engine
from ..schemas.external_tasks import (ExternalBpmnErrorSchema, ExternalCompleteSchema, ExternalExtendLockSchema,
                                      ExternalFailureSchema, ExternalFetchAndLockSchema, ExternalLockSchema,
                                      ExternalTaskArgsSchema, ExternalTaskSchema, LockedExternalTaskSchema)
from ..typed_values import format_date, from_typed, to_typed

BASE = "/engine-rest"
ROLES = ("worker", "admin")
MAX_ERROR_MESSAGE = 1000  # Camunda truncates a failure's message too (to 666 characters)

blp = Blueprint("external-tasks", __name__, url_prefix=f"{BASE}/external-task",
                description="External tasks, Camunda 7's REST API (role worker or admin; bearer or Basic auth).")


def _on_engine_rest(req):
    """HTTP Basic authentication, on the Camunda-compatible routes only."""
    return basic_user(req) if req.path.startswith(BASE + "/") else None


@blp.record_once
def _register_basic_auth(state) -> None:
    add_authenticator(state.app, _on_engine_rest)


@blp.after_request
def _no_content_type_without_content(response: Response) -> Response:
    """A 204 carries no body, so no content type: the JS client parses any `application/json` body."""
    if response.status_code == 204:
        response.headers.pop("Content-Type", None)
    return response


def worker_route(view):
    """`requires(worker, admin)`, documented with Basic auth beside the bearer token."""
    wrapper = requires(*ROLES)(view)
    wrapper._apidoc = deepcopy(wrapper._apidoc)
    wrapper._apidoc["manual_doc"]["security"] = [{"bearerAuth": []}, {"basicAuth": []}]
    return wrapper


@blp.route("/fetchAndLock")
class FetchAndLockResource(MethodView):
    @worker_route
    @blp.arguments(ExternalFetchAndLockSchema())
    @blp.response(200, LockedExternalTaskSchema(many=True))
    def post(self, body):
        """Fetch and lock external tasks of some topics for a worker (long polling with asyncResponseTimeout)

        Answers at once when tasks are free; otherwise waits up to asyncResponseTimeout ms
        (at most DIWAN_EXTERNAL_TASK_MAX_WAIT_SECONDS) for some, then answers `[]`.
        """
        topics = tuple(_topic(t) for t in body.get("topics") or ())
        sorting = body.get("sorting") or []
        command = FetchAndLock(current_actor(), body["workerId"], body["maxTasks"], topics,
                               bool(body.get("usePriority")), bool(sorting) and sorting[0]["sortOrder"] == "desc")
        wait = min((body.get("asyncResponseTimeout") or 0) / 1000,
                   float(current_app.config["EXTERNAL_TASK_MAX_WAIT_SECONDS"]))
        locked = current_engine().fetch_and_lock(command, wait_seconds=wait)
        include = {t["topicName"]: bool(t.get("includeExtensionProperties")) for t in body.get("topics") or ()}
        return [_locked(v, include.get(v.topic, False)) for v in locked]


@blp.route("")
class ExternalTasksResource(MethodView):
    @worker_route
    @blp.arguments(ExternalTaskArgsSchema(), location="query")
    @blp.response(200, ExternalTaskSchema(many=True))
    def get(self, args):
        """List external tasks, oldest first (topicName, workerId, processInstanceId, activityId, locked, ...)"""
        locked = True if args.get("locked") else False if args.get("notLocked") else None
        retries = True if args.get("withRetriesLeft") else False if args.get("noRetriesLeft") else None
        views = current_engine().external_tasks(
            topic=args.get("topicName"), worker_id=args.get("workerId"), instance_id=args.get("processInstanceId"),
            element_id=args.get("activityId"), locked=locked, with_retries_left=retries,
            first=args["firstResult"], limit=args["maxResults"])
        return [_task(v) for v in views]


@blp.route("/<task_id>")
class ExternalTaskResource(MethodView):
    @worker_route
    @blp.response(200, ExternalTaskSchema)
    def get(self, task_id):
        """Get an external task (404 once it was completed or cancelled)"""
        return _task(current_engine().external_task(task_id))


@blp.route("/<task_id>/complete")
class CompleteResource(MethodView):
    @worker_route
    @blp.arguments(ExternalCompleteSchema())
    @blp.response(204)
    def post(self, body, task_id):
        """Complete an external task with variables; the instance runs on

        Only the worker holding the task's latest lock may complete it (another: 409).
        """
        current_engine().complete_external_task(
            task_id, body["workerId"], from_typed(body.get("variables"), "variables"),
            from_typed(body.get("localVariables"), "localVariables"), actor=current_actor())


@blp.route("/<task_id>/failure")
class FailureResource(MethodView):
    @worker_route
    @blp.arguments(ExternalFailureSchema())
    @blp.response(204)
    def post(self, body, task_id):
        """Report a failure: fetchable again after retryTimeout ms while retries are left, an incident at 0"""
        current_engine().fail_external_task(
            task_id, body["workerId"], _short(body.get("errorMessage")), error_details=body.get("errorDetails"),
            retries=body.get("retries") or 0, retry_timeout_ms=body.get("retryTimeout") or 0, actor=current_actor())


@blp.route("/<task_id>/bpmnError")
class BpmnErrorResource(MethodView):
    @worker_route
    @blp.arguments(ExternalBpmnErrorSchema())
    @blp.response(204)
    def post(self, body, task_id):
        """Report a BPMN error: the task's error boundary event takes it (none does: an incident)"""
        current_engine().throw_external_bpmn_error(
            task_id, body["workerId"], body["errorCode"], _short(body.get("errorMessage")),
            from_typed(body.get("variables"), "variables"), actor=current_actor())


@blp.route("/<task_id>/extendLock")
class ExtendLockResource(MethodView):
    @worker_route
    @blp.arguments(ExternalExtendLockSchema())
    @blp.response(204)
    def post(self, body, task_id):
        """Extend the worker's lock on a task to newDuration ms from now (not its lock: 409)"""
        current_engine().lock_external_task(task_id, body["workerId"], body["newDuration"], extend=True,
                                            actor=current_actor())


@blp.route("/<task_id>/lock")
class LockResource(MethodView):
    @worker_route
    @blp.arguments(ExternalLockSchema())
    @blp.response(204)
    def post(self, body, task_id):
        """Lock a task for a worker for lockDuration ms (locked by another worker: 409)"""
        current_engine().lock_external_task(task_id, body["workerId"], body["lockDuration"], actor=current_actor())


@blp.route("/<task_id>/unlock")
class UnlockResource(MethodView):
    @worker_route
    @blp.response(204)
    def post(self, task_id):
        """Unlock a task: any worker may fetch it at once"""
        current_engine().unlock_external_task(task_id, actor=current_actor())


# -- Camunda's shapes ----------------------------------------------------------------------
def _topic(t: dict) -> TopicRequest:
    ids = tuple(t.get("processDefinitionIdIn") or ()) + ((t["processDefinitionId"],)
                                                          if t.get("processDefinitionId") else ())
    keys = tuple(t.get("processDefinitionKeyIn") or ()) + ((t["processDefinitionKey"],)
                                                           if t.get("processDefinitionKey") else ())
    return TopicRequest(
        name=t["topicName"], lock_duration_ms=t["lockDuration"],
        variables=tuple(t["variables"]) if t.get("variables") is not None else None,
        local_variables=bool(t.get("localVariables")), business_key=t.get("businessKey"),
        definition_ids=ids, definition_keys=keys, version_tag=t.get("processDefinitionVersionTag"),
        tenant_ids=tuple(t.get("tenantIdIn") or ()), process_variables=dict(t.get("processVariables") or {}))


def _task(v) -> dict:
    return {
        "id": v.id, "activityId": v.element_id, "activityInstanceId": f"{v.element_id}:{v.id}",
        "executionId": v.id, "processInstanceId": v.instance_id, "processDefinitionId": v.definition_id,
        "processDefinitionKey": v.definition_key, "processDefinitionVersionTag": None, "topicName": v.topic,
        "workerId": v.worker_id, "lockExpirationTime": format_date(v.lock_expires_at),
        "createTime": format_date(v.created_at), "retries": v.retries, "errorMessage": v.error_message,
        "suspended": v.suspended, "tenantId": None, "priority": v.priority, "businessKey": v.business_key}


def _locked(v, include_properties: bool) -> dict:
    out = {**_task(v), "errorDetails": v.error_details, "variables": to_typed(v.variables or {})}
    if include_properties:
        out["extensionProperties"] = dict(v.properties)
    return out


def _short(message: str | None) -> str | None:
    return message[:MAX_ERROR_MESSAGE] if message else message


# Camunda's exception types by diwan's error code (the clients show `type` and `message`).
CAMUNDA_TYPES = {
    "bad_request": "InvalidRequestException",
    "validation_error": "InvalidRequestException",
    "unauthorized": "AuthenticationException",
    "forbidden": "AuthorizationException",
    "not_found": "InvalidRequestException",
    "conflict": "BadUserRequestException",
    "script_error": "ProcessEngineException",
    "too_large": "InvalidRequestException",
    "too_many_requests": "RestException",
}
# Camunda answers a bad variable with 400, not diwan's 422.
STATUS = {**STATUS_BY_CODE, "validation_error": 400}


def camunda_error(status: int, code: str, message: str, errors=None, headers: dict | None = None) -> Response:
    body = {"type": CAMUNDA_TYPES.get(code, "RestException"), "message": message, "code": code}
    if errors is not None:
        body["errors"] = errors
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="diwan", Bearer'
    return response


@blp.errorhandler(DiwanError)
def _diwan_error(error: DiwanError) -> Response:
    headers = {"Retry-After": str(error.retry_after)} if getattr(error, "retry_after", None) else {}
    return camunda_error(STATUS.get(error.code, 422), error.code, error.message, error.errors, headers)


@blp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    diwan = handle_http_exception(error)  # diwan's own body (and its logging of a 5xx)
    body = diwan.get_json() or {}
    status = 400 if diwan.status_code == 422 else diwan.status_code  # webargs' validation errors
    headers = {k: v for k, v in diwan.headers.items() if k.lower() not in ("content-type", "content-length")}
    return camunda_error(status, body.get("code", "bad_request"), body.get("message", ""), body.get("errors"),
                         headers)


def register_docs(api) -> None:
    """Basic auth in the OpenAPI document (the external-task routes accept it)."""
    api.spec.components.security_scheme("basicAuth", {"type": "http", "scheme": "basic"})
