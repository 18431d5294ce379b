"""Definitions (any authenticated user): processes, their versions and XML, decisions, forms."""
from __future__ import annotations

from flask import Response
from flask.views import MethodView

from ..auth import requires
from ..blueprint import Blueprint
from ..extensions import current_engine
from ..schemas.definitions import DefinitionSchema, SourceArgsSchema, VersionArgsSchema

blp = Blueprint("definitions", __name__, url_prefix="/api/v1",
                description="Deployed process definitions, decisions and forms.")


@blp.route("/process-definitions")
class DefinitionsResource(MethodView):
    @requires()
    @blp.response(200, DefinitionSchema(many=True))
    def get(self):
        """List process definitions: the latest version of each"""
        return current_engine().list_definitions()


@blp.route("/process-definitions/<key>")
class DefinitionResource(MethodView):
    @requires()
    @blp.arguments(VersionArgsSchema(), location="query")
    @blp.response(200, DefinitionSchema)
    def get(self, args, key):
        """Get a process definition: the latest version, or `?version=N`"""
        return current_engine().get_definition(key, args.get("version"))


@blp.route("/process-definitions/<key>/versions")
class DefinitionVersionsResource(MethodView):
    @requires()
    @blp.response(200, DefinitionSchema(many=True))
    def get(self, key):
        """List every version of a process definition, newest first"""
        return current_engine().definition_versions(key)


@blp.route("/process-definitions/<key>/xml")
class DefinitionXmlResource(MethodView):
    @requires()
    @blp.arguments(SourceArgsSchema(), location="query")
    @blp.response(200, content_type="application/xml", description="The BPMN XML as deployed.")
    def get(self, args, key):
        """Get the BPMN XML of a process definition (`?download=true`: as a file)"""
        return _xml(current_engine().definition_source(key, args.get("version")), key, "process", args)


@blp.route("/decisions/<key>/xml")
class DecisionXmlResource(MethodView):
    @requires()
    @blp.arguments(SourceArgsSchema(), location="query")
    @blp.response(200, content_type="application/xml", description="The DMN XML as deployed.")
    def get(self, args, key):
        """Get the DMN XML of a decision (`?download=true`: as a file)"""
        return _xml(current_engine().definition_source(key, args.get("version"), "decision"), key, "decision", args)


@blp.route("/forms/<key>")
class FormResource(MethodView):
    @requires()
    @blp.arguments(SourceArgsSchema(), location="query")
    @blp.response(200, description="The form-js schema as deployed.")
    def get(self, args, key):
        """Get a form-js schema (`?download=true`: the file as deployed)"""
        if args["download"]:
            return _file(current_engine().definition_source(key, args.get("version"), "form"), key, "form", args,
                         "application/json")
        return current_engine().form(key, args.get("version"))


@blp.route("/definitions/<kind>/<key>/versions")
class AnyVersionsResource(MethodView):
    @requires()
    @blp.response(200, DefinitionSchema(many=True))
    def get(self, kind, key):
        """List every version of a process, decision or form, newest first"""
        from engine.commands.draft_sources import check_kind

        return current_engine().definition_versions(key, check_kind(kind))


EXTENSIONS = {"process": "bpmn", "decision": "dmn", "form": "form"}


def _xml(source: str, key: str, kind: str, args) -> Response:
    return _file(source, key, kind, args, "application/xml") if args["download"] else Response(
        source, mimetype="application/xml")


def _file(source: str, key: str, kind: str, args, mimetype: str) -> Response:
    import re

    version = args.get("version") or current_engine().get_definition(key, kind=kind).version
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", key)  # a form id may hold anything
    return Response(source, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{name}-v{version}.{EXTENSIONS[kind]}"'})
