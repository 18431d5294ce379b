"""What the pages show people instead of codes: element names, form field and choice labels,
group display names, case references.

The names come from the deployed sources (BPMN `name` attributes, form-js labels), read
once per definition version (a version never changes) and kept in a small cache.
"""
from __future__ import annotations

import re
from functools import lru_cache

from flask_babel import gettext
from lxml import etree

from engine import DiwanError, Engine

_FORM_KEY = re.compile(r"^(?:camunda-forms:deployment:)?(?P<key>.+?)(?:\.form)?$")
_CAMUNDA = "http://camunda.org/schema/1.0/bpmn"


@lru_cache(maxsize=256)
def _process_facts(engine: Engine, key: str, version: int) -> tuple[dict[str, str], tuple[str, ...]]:
    """(element id -> name, form keys) of one process version."""
    try:
        source = engine.definition_source(key, version, "process")
    except DiwanError:
        return {}, ()
    data = source.encode() if isinstance(source, str) else source
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
    except etree.XMLSyntaxError:
        return {}, ()
    names, forms = {}, []
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        if node.get("id") and node.get("name"):
            names[node.get("id")] = " ".join(node.get("name").split())
        for attribute in ("formKey", "formRef"):
            value = node.get(f"{{{_CAMUNDA}}}{attribute}")
            if value and (m := _FORM_KEY.match(value.strip())):
                forms.append(m["key"])
    return names, tuple(dict.fromkeys(forms))


def element_names(engine: Engine, key: str, version: int) -> dict[str, str]:
    return _process_facts(engine, key, version)[0]


def _walk(components, fields: dict, values: dict) -> None:
    for c in components or ():
        if not isinstance(c, dict):
            continue
        k, label = c.get("key"), c.get("label")
        if isinstance(k, str) and isinstance(label, str) and label:
            fields.setdefault(k, label)
        if isinstance(k, str) and isinstance(c.get("values"), list):
            choices = values.setdefault(k, {})
            for v in c["values"]:
                if isinstance(v, dict) and "value" in v and isinstance(v.get("label"), str):
                    choices.setdefault(str(v["value"]), v["label"])
        _walk(c.get("components"), fields, values)


def form_labels(engine: Engine, key: str, version: int, start_form: str | None = None) -> dict:
    """The labels of the fields and choices of every form the process version names."""
    fields: dict[str, str] = {}
    values: dict[str, dict[str, str]] = {}
    keys = ([start_form] if start_form else []) + list(_process_facts(engine, key, version)[1])
    for form_key in dict.fromkeys(keys):
        try:
            _walk(engine.form(form_key).get("components"), fields, values)
        except (DiwanError, ValueError, AttributeError):
            continue  # a form missing on this server: its fields keep their keys
    return {"fields": fields, "values": values}


def item_text(item: dict | None, values: dict[str, dict[str, str]]) -> str | None:
    """A multi-instance task's item as people read it: the form's label of an enum value (a
    consulate's name), the first text of an object (a child's name), else its number."""
    if not item:
        return None
    value, variable, index = item.get("value"), item.get("variable"), item.get("index")
    if isinstance(value, dict):
        value = next((v for v in value.values() if isinstance(v, str) and v.strip()), None) or \
            next((v for v in value.values() if isinstance(v, (int, float)) and not isinstance(v, bool)), None)
    if value is None or value == "" or isinstance(value, (list, bool)):
        if isinstance(index, int):
            return gettext("n° %(n)s", n=index + 1)
        return str(index) if index not in (None, "") else None
    text = str(value)
    if variable and text in values.get(variable, {}):
        return values[variable][text]
    found = {choices[text] for choices in values.values() if text in choices}
    return found.pop() if len(found) == 1 else text
