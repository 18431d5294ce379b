"""Drafts (designer, admin): save without publishing, preview the publication, publish, discard;
old versions re-published; processes withdrawn and reinstated; who may start them (admin)."""
from __future__ import annotations

from flask.views import MethodView

from ..auth import current_actor, requires
from ..blueprint import Blueprint
from ..extensions import current_engine
from ..schemas.definitions import DeploymentSchema
from ..schemas.drafts import (DraftSaveSchema, DraftSchema, MigrationResultSchema, MigrationSchema, PreviewSchema,
                              ProcessStateSchema, RevisionSchema, StartersSchema, WithdrawSchema)

blp = Blueprint("drafts", __name__, url_prefix="/api/v1",
                description="Drafts and the life of definitions (designers, admins).")
EDITORS = ("designer", "admin")


@blp.route("/drafts")
class DraftsResource(MethodView):
    @requires(*EDITORS)
    @blp.response(200, DraftSchema(many=True))
    def get(self):
        """List the drafts (every designer's: they are shared)"""
        return current_engine().drafts()


@blp.route("/drafts/process")
class NewProcessDraftResource(MethodView):
    @requires(*EDITORS)
    @blp.response(201, DraftSchema)
    def post(self):
        """Start a new diagram: a draft under a process id no definition or draft has

        The designer may change the id (the process's) in any save before the first publication.
        """
        return current_engine().new_process_draft(actor=current_actor())


@blp.route("/drafts/<kind>/<key>")
class DraftResource(MethodView):
    @requires(*EDITORS)
    @blp.response(200, DraftSchema)
    def get(self, kind, key):
        """Get a draft (`kind`: process, decision or form)"""
        return current_engine().draft(kind, key)

    @requires(*EDITORS)
    @blp.arguments(DraftSaveSchema())
    @blp.response(200, DraftSchema)
    def put(self, body, kind, key):
        """Save a draft without publishing it

        `revision` is the one the save was made from (0 for the first, with `base_version`, the
        version opened): a save from an older revision, or a first save after another version
        was published, is a 409 naming who saved. A new definition's draft may declare another
        key (the designer renamed the process id) while nothing else has it (409 otherwise);
        the draft is then under that key.
        """
        return current_engine().save_draft(kind, key, body["source"], revision=body["revision"],
                                           base_version=body["base_version"], actor=current_actor())

    @requires(*EDITORS)
    @blp.arguments(RevisionSchema(), location="query")
    @blp.response(204)
    def delete(self, args, kind, key):
        """Discard a draft (`?revision=N`: the one looked at)"""
        current_engine().discard_draft(kind, key, revision=args["revision"], actor=current_actor())


@blp.route("/drafts/<kind>/<key>/preview")
class PreviewResource(MethodView):
    @requires(*EDITORS)
    @blp.response(200, PreviewSchema)
    def get(self, kind, key):
        """What publishing the draft would do: the current version, validation, a text diff"""
        return current_engine().preview_draft(kind, key)


@blp.route("/drafts/<kind>/<key>/publish")
class PublishResource(MethodView):
    @requires(*EDITORS)
    @blp.arguments(RevisionSchema())
    @blp.response(201, DeploymentSchema)
    def post(self, body, kind, key):
        """Publish the draft as the next version, then drop it

        Validated as a deployment is (422 `invalid_definition`, nothing published), and a
        process whose start events lead nowhere is refused. A draft saved meanwhile (another
        revision) or started from a version that is no longer current: 409.
        """
        return current_engine().publish_draft(kind, key, revision=body["revision"], actor=current_actor())


@blp.route("/definitions/<kind>/<key>/versions/<int:version>/republish")
class RepublishResource(MethodView):
    @requires(*EDITORS)
    @blp.response(201, DeploymentSchema)
    def post(self, kind, key, version):
        """Re-publish an old version: its content becomes the next version (the current one: 409)"""
        return current_engine().republish(kind, key, version, actor=current_actor())


@blp.route("/process-definitions/<key>/withdraw")
class WithdrawResource(MethodView):
    @requires(*EDITORS)
    @blp.arguments(WithdrawSchema())
    @blp.response(200, ProcessStateSchema)
    def post(self, body, key):
        """Withdraw a process: no new instances (by clerks, messages, signals or timers); running ones go on"""
        engine = current_engine()
        engine.withdraw(key, body["reason"], actor=current_actor())
        return _state(key)


@blp.route("/process-definitions/<key>/reinstate")
class ReinstateResource(MethodView):
    @requires(*EDITORS)
    @blp.response(200, ProcessStateSchema)
    def post(self, key):
        """Let a withdrawn process start again (not withdrawn: 409)"""
        current_engine().reinstate(key, actor=current_actor())
        return _state(key)


@blp.route("/process-definitions/<key>/starters")
class StartersResource(MethodView):
    @requires("admin")
    @blp.arguments(StartersSchema())
    @blp.response(200, ProcessStateSchema)
    def put(self, body, key):
        """Say which groups' clerks may start the process (empty: every clerk; admins always may)"""
        current_engine().set_starters(key, body["groups"], actor=current_actor())
        return _state(key)


@blp.route("/process-definitions/<key>/migrations")
class MigrationResource(MethodView):
    @requires("admin")
    @blp.arguments(MigrationSchema())
    @blp.response(200, MigrationResultSchema)
    def post(self, body, key):
        """Migrate live instances to another version of the process, all or nothing

        `dry_run: true` lists, per instance, the elements of its state the target version does
        not have (give `mapping` {old id: new id} for renamed ones). Without it, any instance
        that cannot move makes the whole batch a 422 naming it; each migrated instance's
        history gets `instance_migrated`.
        """
        return current_engine().migrate_instances(
            key, body["to_version"], instance_ids=body["instance_ids"], from_version=body["from_version"],
            mapping=body["mapping"], dry_run=body["dry_run"], actor=current_actor())


def _state(key: str) -> dict:
    definition = current_engine().get_definition(key)
    return {"key": key, "withdrawn": definition.withdrawn, "starter_groups": list(definition.starter_groups)}
