"""The hostile deployments of tests/engine/hostile_cases.py over HTTP: a 422 naming file and element, never a 500."""
from __future__ import annotations

import codecs
import io

import pytest
from lxml import etree

from tests.engine.hostile_cases import CASES, around, bpmn_text
from tests.engine.test_hostile_definitions import matches


def _upload(call, files):
    parts = [(io.BytesIO(content), name) for name, content in files]
    return call("post", "/api/v1/deployments", "designer", content_type="multipart/form-data", data={"files": parts})


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_hostile_upload_is_422_naming_file_and_element(call, case):
    response = _upload(call, case.files)
    body = response.get_json()
    assert response.status_code == 422, body
    assert body["code"] == "invalid_definition" and body["message"]
    assert any(matches(p, case) for p in body["errors"]), body["errors"]
    assert call("get", "/api/v1/process-definitions").get_json() == []


def test_a_latin1_diagram_is_served_as_utf8_with_its_accents(call):
    text = bpmn_text(around('<bpmn:userTask id="t" name="Vérifier la pièce d\'identité"/>'), pid="reclamation")
    text = text.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').replace(
        '<bpmn:process id="reclamation"', '<bpmn:process id="reclamation" name="Réclamation déposée à l\'été"')
    assert _upload(call, [("reclamation.bpmn", text.encode("latin-1"))]).status_code == 201
    served = call("get", "/api/v1/process-definitions/reclamation/xml")
    assert served.status_code == 200 and served.mimetype == "application/xml"
    assert served.mimetype_params.get("charset", "utf-8").lower() == "utf-8"
    assert served.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = etree.fromstring(served.data)  # what the web modeler imports
    assert root.find("{http://www.omg.org/spec/BPMN/20100524/MODEL}process").get("name") == \
        "Réclamation déposée à l'été"
    assert call("get", "/api/v1/process-definitions/reclamation").get_json()["name"] == "Réclamation déposée à l'été"
    # The served text deploys back as the same version: the content hash is the normalised text's.
    again = _upload(call, [("reclamation.bpmn", served.data)]).get_json()
    assert again["definitions"][0]["version"] == 1


def test_a_utf16_decision_is_served_as_utf8(call):
    dmn = ('<?xml version="1.0" encoding="UTF-16"?><definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" '
           'id="defs" name="d" namespace="x"><decision id="bareme" name="Barème"><decisionTable id="tab">'
           '<input id="i1" label="Catégorie"><inputExpression id="ie1" typeRef="string"><text>category</text>'
           '</inputExpression></input><output id="o1" name="rate" typeRef="number"/><rule id="r1">'
           '<inputEntry id="r1i"><text>"santé"</text></inputEntry><outputEntry id="r1o"><text>0.8</text>'
           '</outputEntry></rule></decisionTable></decision></definitions>')
    assert _upload(call, [("bareme.dmn", codecs.BOM_UTF16_BE + dmn.encode("utf-16-be"))]).status_code == 201
    served = call("get", "/api/v1/decisions/bareme/xml")
    assert served.status_code == 200
    assert '"santé"' in served.data.decode("utf-8") and 'encoding="UTF-8"' in served.data.decode("utf-8")


def test_invalid_definition__english_message_with_template_and_params(call):
    """The 422 body keeps the API's English `message`; each entry adds its `template` and `params`
    (a param that is a message itself nested as {template, params}) for the pages to translate."""
    form = b'{"id": "f", "components": [{"type": "textfield", "key": "a", "validate": {"pattern": "^(\\\\d)\\\\1$"}}]}'
    response = _upload(call, [("f.form", form), ("x.txt", b"hello")])
    body = response.get_json()
    assert response.status_code == 422 and body["code"] == "invalid_definition", body
    by_file = {e["file"]: e for e in body["errors"]}
    assert by_file["x.txt"] == {"file": "x.txt", "element": None,
                                "message": "unsupported file type: deploy .bpmn, .dmn or .form files",
                                "template": "unsupported file type: deploy .bpmn, .dmn or .form files", "params": {}}
    pattern = by_file["f.form"]
    assert pattern["message"].startswith("Component 'a': invalid validate.pattern ")
    assert pattern["template"] == "Component '{name}': {detail}"
    assert pattern["params"]["name"] == "a"
    detail = pattern["params"]["detail"]
    assert detail["template"] == "invalid validate.pattern {pattern}: {detail}."
    assert detail["params"]["detail"]["template"] == "{detail} (form patterns run on RE2, which matches in linear time)"
    assert detail["params"]["detail"]["params"]["detail"]["template"].startswith("backreferences")
