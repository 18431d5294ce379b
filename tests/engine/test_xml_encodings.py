"""XML encodings: a diagram is decoded by its byte order mark or declaration, checked as text, stored as UTF-8."""
from __future__ import annotations

import codecs
import encodings.aliases
import hashlib

import pytest
import sqlalchemy as sa

from engine import InvalidDefinition
from engine.definitions import safe_xml
from tests.engine.hostile_cases import around, bpmn_text

NAME = "Vérifier la pièce d'identité"
PROCESS_NAME = "Réclamation déposée à l'été"
DOCTYPE = '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
BOMS = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE,
        "utf-32-le": codecs.BOM_UTF32_LE, "utf-32-be": codecs.BOM_UTF32_BE}


def _every_encoding_lxml_accepts() -> list[tuple[str, str]]:
    """Every codec Python knows that lxml accepts under one of its names (Python's aliases, spelt with
    '_', '-' or nothing between the parts, in either case): (Python's name, a name lxml accepts)."""
    spellings = set(encodings.aliases.aliases) | set(encodings.aliases.aliases.values()) | {"utf-8", "utf-7", "hz"}
    spellings |= {v for s in list(spellings) for v in (s.replace("_", "-"), s.replace("_", ""), s.upper())}
    found: dict[str, str] = {}
    for spelling in sorted(spellings):
        codec = safe_xml._supported(spelling) if _known(spelling) else None
        if codec:
            found.setdefault(codec, spelling)
    return sorted(found.items())


def _known(name: str) -> bool:
    try:
        codecs.lookup(name)
    except LookupError:
        return False
    return True


def _encode(text: str, codec: str) -> bytes | None:
    """`text` in `codec`, with a byte order mark for UTF-16/32; None when the codec cannot write it."""
    family = {"utf-16": "utf-16-le", "utf-32": "utf-32-le"}.get(codec, codec)
    try:
        data = text.encode(family)
    except UnicodeEncodeError:
        return None
    return BOMS.get(family, b"") + data


def _document(codec: str, body: str) -> str:
    return f'<?xml version="1.0" encoding="{codec}"?>{body}'


ENCODINGS = _every_encoding_lxml_accepts()


def test_the_encodings_include_the_usual_ones():
    assert {"utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "iso8859-1", "cp1252", "cp1256", "utf-7",
            "shift_jis", "koi8-r"} <= {codec for codec, _ in ENCODINGS}
    assert len(ENCODINGS) > 50


@pytest.mark.parametrize("codec, declared", ENCODINGS)
def test_a_doctype_is_refused_in_every_encoding_lxml_accepts(codec, declared):
    data = _encode(_document(declared, DOCTYPE), codec)
    if data is None:
        pytest.skip(f"{codec} cannot write an XML declaration")
    with pytest.raises(safe_xml.UnsafeXml, match="DOCTYPE"):
        safe_xml.read(data)


@pytest.mark.parametrize("codec, declared", ENCODINGS)
def test_every_encoding_lxml_accepts_decodes_to_the_same_tree(codec, declared):
    text = _document(declared, '<root name="Plan d\'action 2026" note="a &amp; b"><child>texte</child></root>')
    data = _encode(text, codec)
    if data is None:
        pytest.skip(f"{codec} cannot write this document")
    document = safe_xml.read(data)
    assert document.root.get("name") == "Plan d'action 2026" and document.root.get("note") == "a & b"
    assert document.root[0].text == "texte"
    if codec != "utf-8":
        assert document.text.startswith('<?xml version="1.0" encoding="UTF-8"?>')


def test_utf7_doctype_that_raw_bytes_hide_is_refused():
    # '+ADw-' is '<' in UTF-7: the raw bytes have no '<!DOCTYPE', the decoded text has.
    data = b'<?xml version="1.0" encoding="UTF-7"?>+ADw-!DOCTYPE x +AFs-+ADw-!ENTITY e SYSTEM "file:///etc/passwd"+AD4-+AF0-+AD4-<x>&e;</x>'
    assert b"<!DOCTYPE" not in data
    with pytest.raises(safe_xml.UnsafeXml, match="DOCTYPE"):
        safe_xml.read(data)


@pytest.mark.parametrize("name", ["x-klingon", "rot13", "base64", "hex", "unicode_escape", "idna", "cp037", ""])
def test_encodings_that_python_or_lxml_cannot_read_are_refused(name):
    with pytest.raises(safe_xml.UnsafeXml, match="not supported|empty encoding"):
        safe_xml.read(f'<?xml version="1.0" encoding="{name}"?><x/>'.encode())


def test_utf16_without_byte_order_mark_is_read_by_its_first_bytes():
    document = safe_xml.read(_document("UTF-16", f'<x name="{NAME}"/>').encode("utf-16-be"))
    assert document.root.get("name") == NAME and document.encoding == "utf-16-be"


def test_a_utf8_file_is_left_as_it_is():
    text = _document("UTF-8", f'<x name="{NAME}"/>')
    assert safe_xml.decode(text.encode())[0] == text
    assert safe_xml.decode(codecs.BOM_UTF8 + text.encode())[0] == text  # the mark goes


def _diagram(codec_declared: str) -> str:
    text = bpmn_text(around(f'<bpmn:userTask id="t" name="{NAME}" camunda:candidateGroups="bureau"/>'),
                     pid="reclamation")
    return text.replace('encoding="UTF-8"', f'encoding="{codec_declared}"').replace(
        '<bpmn:process id="reclamation"', f'<bpmn:process id="reclamation" name="{PROCESS_NAME}"')


@pytest.mark.parametrize("declared, data", [
    ("UTF-16", lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le")),
    ("UTF-16", lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be")),
    ("UTF-32", lambda t: codecs.BOM_UTF32_LE + t.encode("utf-32-le")),
    ("ISO-8859-1", lambda t: t.encode("latin-1")),
    ("windows-1252", lambda t: t.encode("cp1252")),
    ("UTF-8", lambda t: codecs.BOM_UTF8 + t.encode("utf-8")),
], ids=["utf16le-bom", "utf16be-bom", "utf32le-bom", "latin1", "windows1252", "utf8-bom"])
def test_a_diagram_in_another_encoding_deploys_runs_and_round_trips(engine, declared, data):
    text = _diagram(declared)
    out = engine.deploy([("reclamation.bpmn", data(text))])
    assert out.definitions[0]["name"] == PROCESS_NAME
    served = engine.definition_source("reclamation")
    assert served == text.replace(f'encoding="{declared}"', 'encoding="UTF-8"')
    inst = engine.start("reclamation")
    assert [t.name for t in engine.list_tasks("someone", ["bureau"]).items] == [NAME]
    engine.cancel(inst.id)
    # The same diagram in UTF-8, or the served text, is the same version.
    assert engine.deploy([("reclamation.bpmn", served.encode())]).definitions[0]["version"] == 1
    assert engine.deploy([("reclamation.bpmn", data(text))]).definitions[0]["version"] == 1


def test_a_utf8_file_keeps_the_hash_of_its_bytes(engine):
    data = _diagram("UTF-8").encode()
    engine.deploy([("reclamation.bpmn", data)])
    with engine.db.connect() as conn:
        stored = conn.execute(sa.text("select content_hash from definition")).scalar_one()
    assert stored == hashlib.sha256(data).hexdigest()


def test_latin1_bytes_declared_as_utf8_are_refused_with_the_offset(engine):
    data = _diagram("UTF-8").encode("latin-1")
    errors = pytest.raises(InvalidDefinition, engine.deploy, [("reclamation.bpmn", data)]).value.errors
    offset = data.index("é".encode("latin-1"))
    assert [{k: p[k] for k in ("file", "element", "message")} for p in errors] == [{"file": "reclamation.bpmn", "element": None, "message": (
        f"the file is not valid UTF-8: byte 0xe9 at offset {offset} (invalid continuation byte); save the file as "
        'UTF-8 or declare its encoding, e.g. <?xml version="1.0" encoding="ISO-8859-1"?>')}]
