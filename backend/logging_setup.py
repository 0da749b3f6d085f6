"""Structured JSON logs with the request id on every line.

The request id lives in a context variable set by `RequestIdMiddleware`, so lines logged deep in a service carry it
without passing it around.
"""

from __future__ import annotations

import contextvars
import logging
import time
from typing import Any

import msgspec
from litestar.logging.config import LoggingConfig

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

# uvicorn adds `color_message` (the message with terminal colour codes) to its records: noise in JSON.
_RESERVED = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and key != "request_id":
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return msgspec.json.encode(entry).decode()


def logging_config(level: str) -> LoggingConfig:
    return LoggingConfig(
        configure_root_logger=True,
        # backend.errors logs what matters (with the trace for a 500); Litestar's own dump would duplicate it.
        log_exceptions="never",
        formatters={"json": {"()": "backend.logging_setup.JsonFormatter"}},
        handlers={
            "console": {"class": "logging.StreamHandler", "level": level, "formatter": "json"},
            "queue_listener": {
                "class": "litestar.logging.standard.QueueListenerHandler",
                "level": level,
                "formatter": "json",
            },
        },
        loggers={
            "showtime": {"level": level, "handlers": ["queue_listener"], "propagate": False},
            "litestar": {"level": "WARNING", "handlers": ["queue_listener"], "propagate": False},
            "uvicorn.error": {"level": "INFO", "handlers": ["queue_listener"], "propagate": False},
            "piccolo": {"level": "WARNING", "handlers": ["queue_listener"], "propagate": False},
        },
        root={"level": level, "handlers": ["queue_listener"]},
    )
