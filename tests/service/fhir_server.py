"""A real FHIR server process for the CDS tests: fhirsnake (a pure-Python FHIR server from PyPI, serving
resources from files), started on loopback, behind a small ASGI wrapper that demands the bearer token the
test's fhirAuthorization carries (fhirsnake itself checks no token) and counts the requests it served.

Run as ``python fhir_server.py RESOURCES_PARENT PORT TOKEN``."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any


def main() -> None:
    root, port, token = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    import fhirsnake
    import uvicorn

    sys.path.insert(0, str(Path(fhirsnake.__file__).parent))  # fhirsnake imports its sibling module "files"
    os.chdir(root)  # it serves ./resources/<Type>/<id>.json
    from main import app as fhir_app  # type: ignore[import-not-found]

    counter = root / "requests.log"

    async def guarded(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            with counter.open("a") as log:
                log.write(json.dumps({"path": scope["path"], "query": scope["query_string"].decode()}) + "\n")
            if headers.get(b"authorization") != f"Bearer {token}".encode():
                body = b'{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"security"}]}'
                await send({"type": "http.response.start", "status": 401,
                            "headers": [(b"content-type", b"application/fhir+json")]})
                await send({"type": "http.response.body", "body": body})
                return
        await fhir_app(scope, receive, send)

    uvicorn.run(guarded, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
