"""Stripe's form encoding: ``metadata[order_id]=7&expand[0]=latest_charge`` <-> nested dicts and lists."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from .errors import invalid_request

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")

# Free-form maps whose keys may look like list indexes ("0", "1") and must stay maps.
_MAPS = {"metadata"}


def decode(query: str) -> dict[str, Any]:
    """Decode a form body or query string the way Stripe does (nested brackets, indexed lists)."""
    tree: dict[str, Any] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        match = _KEY.match(key)
        path = [match.group(1), *_SEGMENT.findall(match.group(2))] if match else [key]
        node = tree
        for depth, segment in enumerate(path):
            if segment == "":  # "expand[]=..." appends
                segment = str(len(node))
            if depth == len(path) - 1:
                if isinstance(node.get(segment), dict):
                    raise invalid_request(f"Invalid hash: {key} is both a value and a hash", param=path[0])
                node[segment] = value
            else:
                child = node.setdefault(segment, {})
                if not isinstance(child, dict):
                    if child == "":  # "metadata=" followed by "metadata[a]=b"
                        child = node[segment] = {}
                    else:
                        raise invalid_request(f"Invalid hash: {key} is both a value and a hash", param=path[0])
                node = child
    return {name: _listify(value, name in _MAPS) for name, value in tree.items()}


def _listify(value: Any, keep_map: bool) -> Any:
    if not isinstance(value, dict):
        return value
    items = {key: _listify(child, key in _MAPS) for key, child in value.items()}
    if not keep_map and items and all(key.isdigit() for key in items):
        return [items[key] for key in sorted(items, key=int)]
    return items
