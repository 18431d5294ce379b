"""Camunda 7 generated task forms (`camunda:formData`) translated into form-js schemas at deploy.

Camunda Modeler writes a start event's or a user task's form as fields in its extension elements:

    <camunda:formData>
      <camunda:formField id="amount" label="Montant" type="long" defaultValue="0">
        <camunda:validation><camunda:constraint name="min" config="1"/></camunda:validation>
      </camunda:formField>
      <camunda:formField id="kind" label="Nature" type="enum">
        <camunda:value id="new" name="Nouvelle"/>
      </camunda:formField>
    </camunda:formData>

diwan turns them into one form-js schema per element (key `<process id>.<element id>`), deployed
with the diagram like a `.form` file: the browser renders it with form-js and the server validates
submissions with the same FormValidator as any form (form_schema.py). The mapping:

| Camunda type | form-js component |
|---|---|
| `string` | `textfield` (`minlength`/`maxlength` -> `validate.minLength`/`maxLength`) |
| `long` | `number` with `decimalDigits: 0` (`min`/`max` -> `validate.min`/`max`) |
| `boolean` | `checkbox` (always answered: `required` adds nothing) |
| `date` | `datetime`, subtype `date`: the value is an ISO date `YYYY-MM-DD` |
| `enum` | `select` over its `camunda:value` (id: the value, name: the label) |

`required` -> `validate.required`, `readonly` -> `readonly` (shown, never submitted). A
`defaultValue` must be a literal of the field's type (a date as `YYYY-MM-DD` or `dd/MM/yyyy`).
Refused, naming the field: other attributes (`datePattern`: dates are ISO), other types, other constraint names (`validator` and custom validator
classes included), constraints on a type they do not apply to, `camunda:properties` on a field,
expressions (`${...}`) in a default, a `businessKey` attribute, and a formData next to a
`camunda:formKey`/`formRef` on the same element.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from lxml import etree

from ..messages import msg

CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {"camunda": CAMUNDA, "bpmn": BPMN}
TYPES = ("string", "long", "boolean", "date", "enum")
CONSTRAINTS = {"required": TYPES, "readonly": TYPES, "minlength": ("string",), "maxlength": ("string",),
               "min": ("long",), "max": ("long",)}
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
Fail = Callable[[etree._Element, str], None]


def form_data_of(element: etree._Element) -> etree._Element | None:
    """The `camunda:formData` of a start event or user task (in its extension elements), if any."""
    return element.find("bpmn:extensionElements/camunda:formData", NS)


def form_key_for(process_id: str, element_id: str) -> str:
    return f"{process_id}.{element_id}"


def translate_form_data(root: etree._Element, fail: Fail) -> list[dict]:
    """Give each start event and user task with a formData its generated form key
    (`camunda:formKey`), and return the form-js schemas (valid ones only; problems go to `fail`)."""
    forms: list[dict] = []
    for node in root.iter():
        if not isinstance(node.tag, str) or etree.QName(node).localname != "formData" \
                or etree.QName(node).namespace != CAMUNDA:
            continue
        ext = node.getparent()
        owner = ext.getparent() if ext is not None else None
        if ext is None or ext.tag != f"{{{BPMN}}}extensionElements" or owner is None \
                or owner.tag not in (f"{{{BPMN}}}startEvent", f"{{{BPMN}}}userTask"):
            fail(owner if owner is not None else node,
                 msg("camunda:formData belongs in the extension elements of a start event or a user task"))
            continue
        if owner.get(f"{{{CAMUNDA}}}formKey") or owner.get(f"{{{CAMUNDA}}}formRef"):
            fail(owner, msg("give either camunda:formKey/formRef or camunda:formData (a generated form), not both"))
            continue
        process = next((a for a in owner.iterancestors(f"{{{BPMN}}}process")), None)
        if process is None or not owner.get("id"):
            fail(owner, msg("camunda:formData needs an element with an id inside a process"))
            continue
        form = _schema(node, form_key_for(process.get("id"), owner.get("id")), owner.get("name"), fail, owner)
        if form is not None:
            owner.set(f"{{{CAMUNDA}}}formKey", form["id"])
            forms.append(form)
    return forms


def _schema(form_data: etree._Element, key: str, name: str | None, fail: Fail, owner) -> dict | None:
    problems: list[str] = []
    if form_data.get("businessKey"):
        problems.append(msg("camunda:formData businessKey is not supported (give the business key when starting)"))
    components, seen = [], set()
    for child in form_data:
        if not isinstance(child.tag, str):
            continue
        if etree.QName(child).namespace != CAMUNDA or etree.QName(child).localname != "formField":
            problems.append(msg("{tag} is not supported inside camunda:formData", tag=etree.QName(child).localname))
            continue
        field_id = (child.get("id") or "").strip()
        say = (lambda message, f=field_id: problems.append(msg("form field {field}: {detail}", field=repr(f), detail=message)))
        if not _KEY.fullmatch(field_id):
            say(msg("the id must be a variable name (letters, digits, _)"))
            continue
        if field_id in seen:
            say(msg("the id is used by another field"))
            continue
        seen.add(field_id)
        component = _component(child, field_id, key, say)
        if component is not None:
            components.append(component)
    for message in problems:
        fail(owner, message)
    if problems:
        return None
    return {"id": key, "name": name or key, "type": "default", "schemaVersion": 16,
            "exporter": {"name": "diwan (camunda:formData)", "version": "1"}, "components": components}


FIELD_ATTRIBUTES = frozenset({"id", "label", "type", "defaultValue"})


def _component(field: etree._Element, field_id: str, form_key: str, say) -> dict | None:
    others = sorted(etree.QName(a).localname for a in field.attrib if etree.QName(a).localname not in FIELD_ATTRIBUTES
                    or etree.QName(a).namespace is not None)
    if others:
        names = ", ".join(others)
        said = (msg("{names} is not supported on a form field", names=names) if len(others) == 1
                else msg("{names} are not supported on a form field", names=names))
        if "datePattern" in others:
            said = msg("{detail} (dates are ISO YYYY-MM-DD, entered with the date picker)", detail=said)
        say(said)
        return None
    kind = (field.get("type") or "string").strip()
    if kind not in TYPES:
        say(msg("type {kind} is not supported (supported: {names})", kind=repr(kind), names=', '.join(TYPES)))
        return None
    ok = True
    for child in field:
        if not isinstance(child.tag, str):
            continue
        local = etree.QName(child).localname
        if etree.QName(child).namespace != CAMUNDA or local not in ("validation", "value"):
            say(msg("{name} is not supported on a form field (only camunda:validation and, for an enum, camunda:value)", name=("camunda:" if etree.QName(child).namespace == CAMUNDA else "") + local))
            ok = False
        elif local == "value" and kind != "enum":
            say(msg("camunda:value belongs to enum fields only"))
            ok = False
    label = field.get("label") or field_id
    component: dict = {"key": field_id, "id": f"{form_key}.{field_id}".replace(".", "_")}
    if kind == "string":
        component.update(type="textfield", label=label)
    elif kind == "long":
        component.update(type="number", label=label, decimalDigits=0)
    elif kind == "boolean":
        component.update(type="checkbox", label=label)
    elif kind == "date":
        component.update(type="datetime", subtype="date", dateLabel=label)
    else:
        values = []
        for value in field.iterfind("camunda:value", NS):
            if not value.get("id"):
                say(msg("each camunda:value needs an id"))
                ok = False
            else:
                values.append({"label": value.get("name") or value.get("id"), "value": value.get("id")})
        if not values:
            say(msg("an enum field needs camunda:value options"))
            ok = False
        component.update(type="select", label=label, values=values)
    validate: dict = {}
    for constraint in field.iterfind("camunda:validation/*", NS):
        name = etree.QName(constraint).localname
        if etree.QName(constraint).namespace != CAMUNDA or name != "constraint":
            say(msg("{name} is not supported inside camunda:validation", name=name))
            ok = False
            continue
        ok = _constraint(constraint.get("name") or "", constraint.get("config"), kind, component, validate, say) and ok
    default = field.get("defaultValue")
    if default is not None:
        value = _default(default, kind, component, say)
        ok = ok and value is not _BAD
        if value is not _BAD:
            component["defaultValue"] = value
    if validate:
        component["validate"] = validate
    return component if ok else None


def _constraint(name: str, config: str | None, kind: str, component: dict, validate: dict, say) -> bool:
    name = name.strip()
    if name not in CONSTRAINTS:
        say(msg("the constraint {name} is not supported (supported: {names}; custom validators are not)", name=repr(name), names=', '.join(CONSTRAINTS)))
        return False
    if kind not in CONSTRAINTS[name]:
        say(msg("the constraint {name} does not apply to a {kind} field", name=repr(name), kind=kind))
        return False
    if name in ("required", "readonly"):
        if config not in (None, "", "true"):
            say(msg("the constraint {name} takes no config", name=repr(name)))
            return False
        if name == "required":
            if kind != "boolean":  # a checkbox always answers true or false
                validate["required"] = True
        else:
            component["readonly"] = True
        return True
    try:
        number = int((config or "").strip())
    except ValueError:
        say(msg("the constraint {name} needs an integer config, not {config}", name=repr(name), config=repr(config)))
        return False
    if name in ("minlength", "maxlength") and number < 0:
        say(msg("the constraint {name} cannot be negative", name=repr(name)))
        return False
    validate[{"minlength": "minLength", "maxlength": "maxLength", "min": "min", "max": "max"}[name]] = number
    return True


_BAD = object()


def _default(text: str, kind: str, component: dict, say):
    if "${" in text or "#{" in text:
        say(msg("expressions are not supported in defaultValue: write a literal"))
        return _BAD
    if kind == "string":
        return text
    value = text.strip()
    if kind == "long":
        if not re.fullmatch(r"[+-]?\d{1,18}", value):
            say(msg("defaultValue {text} is not an integer", text=repr(text)))
            return _BAD
        return int(value)
    if kind == "boolean":
        if value not in ("true", "false"):
            say(msg("defaultValue {text} is not true or false", text=repr(text)))
            return _BAD
        return value == "true"
    if kind == "date":
        for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                return datetime.strptime(value, pattern).date().isoformat()
            except ValueError:
                continue
        say(msg("defaultValue {text} is not a date (YYYY-MM-DD or dd/MM/yyyy)", text=repr(text)))
        return _BAD
    if value not in [v["value"] for v in component.get("values", [])]:
        say(msg("defaultValue {text} is not one of the enum's values", text=repr(text)))
        return _BAD
    return value

