"""Write the OpenAPI document for the web app's generated types: the served document, plus the WebSocket messages'
schemas (which no HTTP route carries, so Litestar does not list them) among its components.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import msgspec


def message_schemas() -> dict[str, Any]:
    from realtime.messages import CLIENT_MESSAGES

    _, schemas = msgspec.json.schema_components(CLIENT_MESSAGES, ref_template="#/components/schemas/{name}")
    return schemas


def document() -> dict[str, Any]:
    # The app factory connects nothing at import; a placeholder Redis URL is enough to build the schema.
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    from backend.settings import load_settings
    from server.app import create_app

    # Settings read now, not the process's cached ones (a test process may have cached them without REDIS_URL).
    served = create_app(load_settings()).openapi_schema.to_schema()
    schemas = served["components"]["schemas"]
    messages = message_schemas()
    clash = set(schemas) & set(messages)
    if clash:
        raise SystemExit(f"socket message names clash with HTTP schemas: {sorted(clash)}")
    served["components"]["schemas"] = dict(sorted({**schemas, **messages}.items()))
    return served


def main(target: str) -> None:
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(msgspec.json.format(msgspec.json.encode(document()), indent=2))
    print(f"OpenAPI document written to {path}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "var/openapi.json")
