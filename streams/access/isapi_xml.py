"""ISAPI `EventNotificationAlert` XML -> the same dict the JSON form decodes to, parsed with defusedxml.

Many Hikvision devices send their HTTP host notifications as XML in the namespace
http://www.isapi.org/ver20/XMLSchema (older firmware: ver10 or none), and some cannot be switched to JSON. The
namespace is ignored so every version reads the same. defusedxml refuses DTDs and entity declarations, so a body
built for entity expansion ("billion laughs") or external entities is a format error, never expanded.
"""

from __future__ import annotations

import logging
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from streams.access.vendor import AccessFormatError

logger = logging.getLogger(__name__)

ROOT = "EventNotificationAlert"


def local_name(tag: str) -> str:
    """`{http://www.isapi.org/ver20/XMLSchema}dateTime` -> `dateTime`."""
    return tag.rsplit("}", 1)[-1]


def xml_notification(data: bytes) -> dict[str, Any]:
    """The alert's fields as a dict (nested elements as dicts, repeated ones as lists, leaves as text)."""
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise AccessFormatError(f"XML refused: {type(exc).__name__} (DTDs and entities are not accepted)") from None
    except ParseError as exc:
        raise AccessFormatError(f"body is not well-formed XML: {exc}") from None
    except (LookupError, ValueError) as exc:  # an XML declaration naming an encoding the parser does not know
        raise AccessFormatError(f"XML encoding not readable: {exc}") from None
    if local_name(root.tag) != ROOT:
        raise AccessFormatError(f"XML root is {local_name(root.tag)!r}, expected {ROOT}")
    value = _value(root)
    return value if isinstance(value, dict) else {}


def _value(element: Element) -> Any:
    children = list(element)
    if not children:
        text = (element.text or "").strip()
        return text or None
    out: dict[str, Any] = {}
    for child in children:
        name, value = local_name(child.tag), _value(child)
        if name in out:
            previous = out[name]
            out[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            out[name] = value
    return out
