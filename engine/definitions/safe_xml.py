"""Safe XML reading for deployed files: decoded first, no DOCTYPE, no entities, no network, bounded depth.

A deployed file is decoded here, with the encoding its byte order mark or XML declaration
names (UTF-8 when neither does, as XML says), and every check runs on the decoded text:
a DOCTYPE written in UTF-16 or UTF-7 is as visible as one in UTF-8. lxml then parses that
same text, re-encoded as UTF-8 with the declaration saying so, so what lxml reads is exactly
what was checked; the normalised text is also what diwan stores and serves (see `decode`).
"""
from __future__ import annotations

import codecs
import functools
import re
from dataclasses import dataclass

from lxml import etree

from ..messages import msg

# A DOCTYPE is the only way to declare entities (XXE, billion laughs): refuse any, in the
# decoded text, before lxml sees it, whatever lxml/libxml2 version is installed (notes §1.3).
_DOCTYPE = re.compile(r"<!DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(r"<!ENTITY", re.IGNORECASE)

# libxml2 refuses documents nested deeper than this without XML_PARSE_HUGE (kept off).
MAX_DEPTH = 256

PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
    huge_tree=False, remove_comments=False,
)

# Byte order marks, longest first (the UTF-32 LE mark starts with the UTF-16 LE one).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Without a mark, how '<?' looks in the encodings that are not ASCII-compatible (XML 1.0 appendix F).
_UNMARKED = (
    (b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"), (b"<\x00?\x00", "utf-16-le"),
)
# Encodings that a byte order mark (or the unmarked pattern) may be declared as.
_FAMILY = {"utf-8": {"utf-8"}, "utf-16-le": {"utf-16", "utf-16-le"}, "utf-16-be": {"utf-16", "utf-16-be"},
           "utf-32-le": {"utf-32", "utf-32-le"}, "utf-32-be": {"utf-32", "utf-32-be"}}
_DECLARATION = re.compile(
    r"""<\?xml\s+version\s*=\s*(?P<q1>["'])[^"']*(?P=q1)(?P<encoding>\s+encoding\s*=\s*(?P<q2>["'])(?P<name>[^"']*)(?P=q2))?""")


class UnsafeXml(ValueError):
    """The file cannot be decoded, is not well-formed XML, or declares a DOCTYPE or entities."""


@dataclass(frozen=True)
class XmlDocument:
    """A decoded, checked and parsed XML file."""

    text: str  # the normalised text: no byte order mark, the declaration (if any) says UTF-8
    encoding: str  # the codec the file was decoded with (Python's name, e.g. "iso8859-1")
    root: etree._Element


@functools.lru_cache(maxsize=64)
def _supported(name: str) -> str | None:
    """Python's name for an encoding that both Python and lxml know as a text encoding, else None."""
    try:
        info = codecs.lookup(name)
        etree.XMLParser(encoding=name)
    except LookupError:
        return None
    return info.name if getattr(info, "_is_text_encoding", True) else None


def _python_name(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _detect(content: bytes) -> tuple[str, int]:
    """The encoding a byte order mark or the first bytes imply, and the length of the mark."""
    for bom, name in _BOMS:
        if content.startswith(bom):
            return name, len(bom)
    for start, name in _UNMARKED:
        if content.startswith(start):
            return name, 0
    return "", 0


def decode(content: bytes) -> tuple[str, str]:
    """Decode an XML file and return (normalised text, codec name).

    The encoding comes from the byte order mark, else from the XML declaration, else it is
    UTF-8. The normalised text has no byte order mark and its declaration, if any, names
    UTF-8: stored and served as UTF-8 it means the same document. A UTF-8 file without a
    mark comes back unchanged.

    Raises:
        UnsafeXml: an encoding that Python or lxml does not know, a declaration that
            contradicts the byte order mark, or bytes that are not valid in the encoding.
    """
    implied, skip = _detect(content)
    head = content[skip:skip + 512].decode(implied or "latin-1", errors="replace")
    declared = _DECLARATION.match(head)
    name = declared["name"].strip() if declared and declared["name"] is not None else None
    if name is not None and not name:
        raise UnsafeXml(msg("the XML declaration names an empty encoding"))
    if implied:
        if name is not None:  # the mark decides; the declaration only has to agree (lxml never sees it)
            codec = _python_name(name)
            if codec is None or codec not in _FAMILY[implied]:
                if skip:
                    raise UnsafeXml(msg("the XML declaration says encoding {name} but the file's byte order mark "
                                        "is {implied}: save the file in one encoding",
                                        name=repr(name), implied=_label(implied, None)))
                raise UnsafeXml(msg("the XML declaration says encoding {name} but the file's first bytes are "
                                    "{implied}: save the file in one encoding",
                                    name=repr(name), implied=_label(implied, None)))
        encoding = implied
    elif name is not None:
        encoding = _supported(name)
        if encoding is None:
            raise UnsafeXml(msg("encoding {name} is not supported (it must be known to Python and to lxml, "
                                "e.g. UTF-8, UTF-16, ISO-8859-1, windows-1252): save the file as UTF-8",
                                name=repr(name)))
    else:
        encoding = "utf-8"
    try:
        text = content[skip:].decode(encoding)
    except UnicodeDecodeError as exc:
        byte = content[skip + exc.start:skip + exc.start + 1]
        raise UnsafeXml(msg("the file is not valid {encoding}: byte 0x{byte} at offset {offset} ({reason}); "
                            'save the file as UTF-8 or declare its encoding, e.g. <?xml version="1.0" '
                            'encoding="ISO-8859-1"?>', encoding=_label(encoding, name), byte=byte.hex(),
                            offset=skip + exc.start, reason=exc.reason)) from None
    if text.startswith("\ufeff"):  # a UTF-16/32 mark under a declaration, or a doubled one
        text = text[1:]
    if name is not None:
        match = _DECLARATION.match(text)
        if match is None or match["name"] is None:
            raise UnsafeXml(msg("the file does not read as {encoding}: its XML declaration is garbled once "
                                "decoded", encoding=_label(encoding, name)))
        if encoding != "utf-8" or match["name"].strip().lower() not in ("utf-8", "utf8"):
            text = text[:match.start("encoding")] + ' encoding="UTF-8"' + text[match.end("encoding"):]
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise UnsafeXml(msg("the file decodes to a lone surrogate at character {offset}: not valid text",
                            offset=exc.start)) from None
    return text, encoding


def _label(encoding: str, declared: str | None) -> str:
    return declared if declared else encoding.upper().replace("-LE", "LE").replace("-BE", "BE")


def read(content: bytes) -> XmlDocument:
    """Decode, check and parse an XML file.

    Raises:
        UnsafeXml: with a message fit for a deployment error.
    """
    text, encoding = decode(content)
    if _DOCTYPE.search(text) or _ENTITY.search(text):
        raise UnsafeXml(msg("XML with a DOCTYPE or entity declaration is refused (no DTDs, no entities)"))
    try:
        root = etree.fromstring(text.encode("utf-8"), parser=PARSER)
    except etree.XMLSyntaxError as exc:
        message = str(exc)
        if "Excessive depth" in message:
            raise UnsafeXml(msg("the XML is nested too deeply (at most {limit} levels)", limit=MAX_DEPTH)) from None
        raise UnsafeXml(msg("malformed XML: {detail}", detail=message)) from None
    if root is None:
        raise UnsafeXml(msg("empty XML document"))
    return XmlDocument(text, encoding, root)


def parse(content: bytes) -> etree._Element:
    """Parse XML bytes into the root element (see `read`), refusing DOCTYPE/ENTITY declarations.

    Raises:
        UnsafeXml: with a message fit for a deployment error.
    """
    return read(content).root
