"""Write the served OpenAPI document to a file (the web app's API types are generated from it)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import msgspec


def main(target: str) -> None:
    # The app factory connects nothing at import; a placeholder Redis URL is enough to build the schema.
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    from backend.app import create_app

    schema = create_app().openapi_schema.to_schema()
    path = Path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(msgspec.json.format(msgspec.json.encode(schema), indent=2))
    print(f"OpenAPI document written to {path}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "var/openapi.json")
