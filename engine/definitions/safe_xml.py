"""Safe XML parsing for deployed files: no DOCTYPE, no entities, no network, bounded size."""
from __future__ import annotations

import re

from lxml import etree

# A DOCTYPE is the only way to declare entities (XXE, billion laughs): refuse any, before
# lxml sees the text, whatever lxml/libxml2 version is installed (notes §1.3).
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ENTITY = re.compile(rb"<!ENTITY", re.IGNORECASE)

PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
    huge_tree=False, remove_comments=False,
)


class UnsafeXml(ValueError):
    """The file is not well-formed XML, or declares a DOCTYPE or entities."""


def parse(content: bytes) -> etree._Element:
    """Parse XML bytes into the root element, refusing DOCTYPE/ENTITY declarations.

    Raises:
        UnsafeXml: with a message fit for a deployment error.
    """
    if _DOCTYPE.search(content) or _ENTITY.search(content):
        raise UnsafeXml("XML with a DOCTYPE or entity declaration is refused (no DTDs, no entities)")
    try:
        root = etree.fromstring(content, parser=PARSER)
    except etree.XMLSyntaxError as exc:
        raise UnsafeXml(f"malformed XML: {exc}") from None
    if root is None:
        raise UnsafeXml("empty XML document")
    return root
