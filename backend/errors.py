"""Domain errors with stable machine codes, and the one place that turns any failure into API.md's error shape.

Services raise `AppError` subclasses and know nothing of HTTP; the handlers below render
`{"error": code, "detail": sentence, ...extra}` with the right status. No stack trace ever reaches a client.
"""

from __future__ import annotations

import errno
import logging
from typing import Any

from asyncpg.exceptions import (
    CannotConnectNowError,
    InterfaceError,
    InternalClientError,
    OperatorInterventionError,
    PostgresConnectionError,
    ReadOnlySQLTransactionError,
    TargetServerAttributeNotMatched,
    TooManyConnectionsError,
)
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.spec import OpenAPI, OpenAPIResponse, OpenAPIType, Schema
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from redis.exceptions import (
    AskError,
    ClusterError,
    ReadOnlyError,
    RedisClusterException,
    SlotNotCoveredError,
    TryAgainError,
)
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("showtime.errors")


class AppError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, detail: str, code: str | None = None, status_code: int | None = None, **extra: Any):
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code
        self.extra = extra
        self.headers: dict[str, str] = {}


class BadRequest(AppError):
    status_code = 400
    code = "bad_request"


class NotSignedIn(AppError):
    status_code = 401
    code = "not_authenticated"


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class Invalid(AppError):
    status_code = 422
    code = "invalid"


class RateLimited(AppError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, detail: str, retry_after: int, **extra: Any):
        super().__init__(detail, **extra)
        self.headers["Retry-After"] = str(max(1, retry_after))


class Unavailable(AppError):
    status_code = 503
    code = "unavailable"

    def __init__(self, detail: str, retry_after: int = 2, **extra: Any):
        super().__init__(detail, **extra)
        self.headers["Retry-After"] = str(retry_after)


def error_response(status_code: int, code: str, detail: str, headers: dict[str, str] | None = None,
                   **extra: Any) -> Response:
    return Response(
        content={"error": code, "detail": detail, **extra},
        status_code=status_code,
        media_type=MediaType.JSON,
        headers=headers or {},
    )


def app_error_handler(_: Request, exc: AppError) -> Response:
    return error_response(exc.status_code, exc.code, exc.detail, exc.headers, **exc.extra)


_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    503: "unavailable",
}


def _validation_detail(exc: ValidationException) -> tuple[int, str, str, dict[str, Any]]:
    problems = exc.extra if isinstance(exc.extra, list) else []
    messages = [str(p.get("message", "")) for p in problems if isinstance(p, dict)]
    text = "; ".join(m for m in messages if m) or str(exc.detail)
    # A body that is not JSON at all is malformed (400); JSON of the wrong shape or type is invalid (422).
    if "malformed" in text.lower() or "json is malformed" in str(exc.detail).lower() or "decode" in text.lower():
        return 400, "malformed_json", "The request body is not valid JSON.", {}
    if any(p.get("key") == "data" and p.get("message") == "'data'" for p in problems if isinstance(p, dict)):
        return 400, "body_required", "This request needs a JSON body.", {}
    sources = {p.get("source") for p in problems if isinstance(p, dict)}
    if sources & {"query", "path", "header", "cookie"}:
        return 400, "invalid_parameter", text, {"problems": problems}
    return 422, "invalid", text, {"problems": problems}


def http_exception_handler(request: Request, exc: HTTPException) -> Response:
    if isinstance(exc, ValidationException):
        status, code, detail, extra = _validation_detail(exc)
        return error_response(status, code, detail, **extra)
    status = exc.status_code
    if status >= 500:
        logger.error("http error %s on %s %s: %s", status, request.method, request.url.path, exc.detail)
        return error_response(status, _HTTP_CODES.get(status, "internal_error"),
                              "The service could not answer this request.", exc.headers)
    detail = str(exc.detail) if exc.detail else "Request refused."
    return error_response(status, _HTTP_CODES.get(status, "error"), detail, exc.headers)


# What "Redis cannot answer right now" looks like once the client gave up retrying, on one server or a cluster
# whose master died (docs/architecture.md, Failover): a connection or timeout error (with BusyLoadingError and
# MaxConnectionsError among the connection errors); CLUSTERDOWN / MASTERDOWN, or a MOVED/ASK chase that ran out of
# redirections ("TTL exhausted"), all ClusterErrors; TRYAGAIN during a slot migration; MOVED/ASK itself as a
# pipeline reports it; READONLY from a master demoted to replica; a slot no node serves yet. Not RedisError as a
# whole: a script error, a WRONGTYPE or a DataError is our bug and stays a 500. The cluster client's internal
# AttributeError when it closes a connection under a request is turned into a ConnectionError where it happens
# (backend.infra.redis_client.ClusterConnection), so it needs nothing here.
REDIS_UNAVAILABLE: tuple[type[Exception], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    ClusterError,
    TryAgainError,
    AskError,
    ReadOnlyError,
    SlotNotCoveredError,
)


def redis_down_handler(request: Request, exc: Exception) -> Response:
    logger.error("redis unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return error_response(503, "unavailable", "A backing service is unavailable; try again shortly.",
                          {"Retry-After": "2"})


def redis_cluster_exception_handler(request: Request, exc: RedisClusterException) -> Response:
    """RedisClusterException is mostly a usage error (keys of two slots in one command: a bug, 500), but the
    cluster client also raises it when no startup node answers its slot-map refresh ("Redis Cluster cannot be
    connected"), chained from the connection error: that one is Redis being down."""
    if isinstance(exc, SlotNotCoveredError) or isinstance(exc.__cause__, RedisConnectionError | RedisTimeoutError):
        return redis_down_handler(request, exc)
    return internal_error_handler(request, exc)


# What "the database cannot answer right now" looks like, typically while its primary fails over to the standby
# (deploy/README.md): the connection died under a query (ConnectionDoesNotExistError and the other connection
# errors, class 08), the server is shutting down, crashed or still starting (class 57P: AdminShutdown, CrashShutdown,
# CannotConnectNow), no host of a multi-host URL accepts writes yet (TargetServerAttributeNotMatched), a host is a
# read-only standby (ReadOnlySQLTransactionError: a demoted primary), or no connection slot is free. Not
# PostgresError as a whole: a constraint or syntax error is our bug (or a conflict the code handles) and stays a 500.
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    PostgresConnectionError,
    OperatorInterventionError,
    CannotConnectNowError,
    ReadOnlySQLTransactionError,
    TargetServerAttributeNotMatched,
    TooManyConnectionsError,
)
# Socket errors of a connection attempt (asyncpg raises the last host's OSError when none could be reached).
_NETWORK_ERRNOS = frozenset({errno.ECONNREFUSED, errno.ECONNRESET, errno.ECONNABORTED, errno.EHOSTUNREACH,
                             errno.ENETUNREACH, errno.ETIMEDOUT, errno.EPIPE})


def database_down_handler(request: Request, exc: Exception) -> Response:
    logger.error("database unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return error_response(503, "database_unavailable", "The database is not answering; try again shortly.",
                          {"Retry-After": "2"})


def _is_network_error(exc: OSError) -> bool:
    # asyncio reports a host with several addresses that all refused as a plain OSError("Multiple exceptions: ...").
    return (isinstance(exc, ConnectionError | TimeoutError) or exc.errno in _NETWORK_ERRNOS
            or str(exc).startswith("Multiple exceptions"))


def os_error_handler(request: Request, exc: OSError) -> Response:
    """A connection that could not be made or broke (the database's, during a failover) is a 503; any other OSError
    (a file, a permission) is our bug."""
    if _is_network_error(exc):
        return database_down_handler(request, exc)
    return internal_error_handler(request, exc)


def interface_error_handler(request: Request, exc: InterfaceError) -> Response:
    """asyncpg's InterfaceError is mostly misuse (a bug, 500), but a pooled connection the server closed under us
    says "connection is closed" through it."""
    if "connection is closed" in str(exc) or "connection was closed" in str(exc):
        return database_down_handler(request, exc)
    return internal_error_handler(request, exc)


def internal_client_error_handler(request: Request, exc: InternalClientError) -> Response:
    """asyncpg's catch-all. A connection the server vanished from in the middle of an exchange cannot be reset when
    the pool takes it back ("cannot switch to state N; another operation (M) is in progress"): the pool drops it, and
    the request met a database going away. Anything else is unexpected, a 500."""
    if "another operation" in str(exc) and "in progress" in str(exc):
        return database_down_handler(request, exc)
    return internal_error_handler(request, exc)


def internal_error_handler(request: Request, exc: Exception) -> Response:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(HTTP_500_INTERNAL_SERVER_ERROR, "internal_error",
                          "Something went wrong on our side; it has been logged.")


EXCEPTION_HANDLERS: dict[Any, Any] = {
    AppError: app_error_handler,
    HTTPException: http_exception_handler,
    **dict.fromkeys(REDIS_UNAVAILABLE, redis_down_handler),
    RedisClusterException: redis_cluster_exception_handler,
    **dict.fromkeys(DATABASE_UNAVAILABLE, database_down_handler),
    OSError: os_error_handler,
    InterfaceError: interface_error_handler,
    InternalClientError: internal_client_error_handler,
    Exception: internal_error_handler,
}


# Litestar documents its own error model ({status_code, detail, extra}) for the 400s it adds to every operation;
# the document must show what clients actually get.
ERROR_SCHEMA = Schema(
    type=OpenAPIType.OBJECT, required=["error", "detail"],
    properties={"error": Schema(type=OpenAPIType.STRING, description="machine code"),
                "detail": Schema(type=OpenAPIType.STRING, description="a sentence for people")},
    description="API.md's error shape; some errors add fields (seat_ids, problems, ...)",
)
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def document_error_shape(openapi: OpenAPI) -> None:
    """Every 4xx/5xx answer in the document gets the error shape this module renders."""
    for path_item in (openapi.paths or {}).values():
        for operation in (getattr(path_item, method, None) for method in _METHODS):
            for status, response in ((operation.responses or {}).items() if operation else ()):
                if status.isdigit() and int(status) >= 400 and isinstance(response, OpenAPIResponse):
                    for media in (response.content or {}).values():
                        media.schema = ERROR_SCHEMA
