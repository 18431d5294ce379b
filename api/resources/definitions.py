"""Definitions (any authenticated user): processes, their versions and XML, decisions, forms."""
from __future__ import annotations

from flask import Response
from flask.views import MethodView

from ..auth import requires
from ..blueprint import Blueprint
from ..extensions import current_engine
from ..schemas.definitions import DefinitionSchema, VersionArgsSchema

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
    @blp.arguments(VersionArgsSchema, location="query")
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
    @blp.arguments(VersionArgsSchema, location="query")
    @blp.response(200, content_type="application/xml", description="The BPMN XML as deployed.")
    def get(self, args, key):
        """Get the BPMN XML of a process definition"""
        return _xml(current_engine().definition_source(key, args.get("version")))


@blp.route("/decisions/<key>/xml")
class DecisionXmlResource(MethodView):
    @requires()
    @blp.arguments(VersionArgsSchema, location="query")
    @blp.response(200, content_type="application/xml", description="The DMN XML as deployed.")
    def get(self, args, key):
        """Get the DMN XML of a decision"""
        return _xml(current_engine().definition_source(key, args.get("version"), "decision"))


@blp.route("/forms/<key>")
class FormResource(MethodView):
    @requires()
    @blp.arguments(VersionArgsSchema, location="query")
    @blp.response(200, description="The form-js schema as deployed.")
    def get(self, args, key):
        """Get a form-js schema"""
        return current_engine().form(key, args.get("version"))


def _xml(source: str) -> Response:
    return Response(source, mimetype="application/xml")
