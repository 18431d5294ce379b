"""Deployments (designer, admin): upload BPMN, DMN and form files, all or nothing."""
from __future__ import annotations

from flask.views import MethodView

from engine import InvalidData

from ..auth import current_actor, requires
from ..blueprint import Blueprint
from ..extensions import current_engine
from ..schemas.definitions import DeploymentArgsSchema, DeploymentSchema

blp = Blueprint("deployments", __name__, url_prefix="/api/v1/deployments",
                description="Deploy .bpmn, .dmn and .form files.")


@blp.route("")
class DeploymentsResource(MethodView):
    @requires("designer", "admin")
    @blp.arguments(DeploymentArgsSchema(), location="files")
    @blp.response(201, DeploymentSchema)
    def post(self, args):
        """Deploy files: multipart/form-data, one or more parts named `files`

        All or nothing: any problem refuses the whole upload (422 `invalid_definition`,
        naming each file and element). Identical content redeployed keeps its version.
        """
        files = []
        for upload in args["files"]:
            name = upload.filename or ""
            if "\x00" in name or len(name) > 255:
                raise InvalidData("invalid file name", errors={"files": ["File names: at most 255 characters, "
                                                                          "without NUL."]})
            files.append((name, upload.read()))
        return current_engine().deploy(files, actor=current_actor())
