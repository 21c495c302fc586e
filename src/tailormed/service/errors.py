"""Error answers: one JSON shape (``{"detail": ...}``) for every 4xx the service gives."""

from __future__ import annotations

from fastapi.responses import JSONResponse


class ApiError(Exception):
    """Raised anywhere in a request: answered as ``status`` with ``detail`` (and optional headers)."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        super().__init__(detail)


def problem(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": detail}, headers=headers)
