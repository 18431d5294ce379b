"""Messages between the engine and its script processes: length-prefixed JSON frames.

Loaded by both sides (the script process loads it by path, without the engine package),
so it imports only the standard library and orjson.

A frame is a 4-byte little-endian length and an orjson document. Values keep the
variable domain's types (engine/values.py): a decimal, date or datetime travels as a
dict ``{"\\u0000": "decimal" | "date" | "datetime", "v": text}``; the domain refuses that key
in variables, so no variable can be mistaken for one. A frame says ``"typed": true`` when
it holds such a dict, and only then is it decoded with the (slower) object hook.
"""
from __future__ import annotations

import json
import struct
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson

TAG = "\x00"
HEADER = struct.Struct("<I")
MAX_FRAME = 256 * 1024 * 1024


class Encoder:
    """orjson's default hook that tags the domain's non-JSON types and notes that it did."""

    __slots__ = ("typed",)

    def __init__(self) -> None:
        self.typed = False

    def __call__(self, value: Any) -> Any:
        kind = type(value)
        if kind is Decimal:
            self.typed = True
            return {TAG: "decimal", "v": str(value)}
        if kind is datetime:
            self.typed = True
            return {TAG: "datetime", "v": value.isoformat()}
        if kind is date:
            self.typed = True
            return {TAG: "date", "v": value.isoformat()}
        if kind in (tuple, set, frozenset):  # tuples are lists in the domain; sets are refused later
            return list(value)
        raise TypeError(f"a value of type {kind.__name__} cannot be passed to or from a script")


def encode(message: dict) -> bytes:
    """One frame holding `message` (its values in the variable domain)."""
    hook = Encoder()
    body = orjson.dumps(message, default=hook, option=orjson.OPT_PASSTHROUGH_DATETIME)
    if hook.typed:  # the message is a non-empty dict: its last byte is its closing brace
        body = body[:-1] + b',"typed":true}'
    return HEADER.pack(len(body)) + body


def _typed(obj: dict) -> Any:
    kind = obj.get(TAG)
    if kind is None:
        return obj
    text = obj["v"]
    if kind == "decimal":
        return Decimal(text)
    if kind == "datetime":
        return datetime.fromisoformat(text)
    if kind == "date":
        return date.fromisoformat(text)
    raise ValueError(f"unknown tagged value {kind!r}")


def decode(body: bytes) -> dict:
    """The message of a frame's body."""
    message = orjson.loads(body)
    if message.get("typed"):
        message = json.loads(body, object_hook=_typed)
    return message
