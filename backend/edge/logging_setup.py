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

from backend.edge.card_data import redact_card_numbers

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

# uvicorn adds `color_message` (the message with terminal colour codes) to its records: noise in JSON.
_RESERVED = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "color_message"}


def _as_text(value: Any) -> str:
    # Libraries put whatever they like in `extra` (websockets: a weakref.proxy to the connection); a log line
    # names it rather than failing to encode it.
    try:
        return repr(value)[:500]
    except Exception:
        return f"<{type(value).__name__}>"


_ENCODER = msgspec.json.Encoder(enc_hook=_as_text)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, whatever the record holds: formatting never raises (a failing formatter makes
    the logging module print a multi-line "Logging error" traceback instead), and card numbers are masked."""

    def format(self, record: logging.LogRecord) -> str:
        try:
            return self._format(record)
        except Exception as exc:
            return _ENCODER.encode({
                "ts": self._timestamp(record), "level": record.levelname, "logger": record.name,
                "msg": redact_card_numbers(_as_text(record.msg)), "log_error": type(exc).__name__,
            }).decode()

    @staticmethod
    def _timestamp(record: logging.LogRecord) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"

    def _format(self, record: logging.LogRecord) -> str:
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the format string: keep both, unformatted
            message = f"{_as_text(record.msg)} {_as_text(record.args)}"
        entry: dict[str, Any] = {
            "ts": self._timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "msg": message,
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and key != "request_id":
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc"] = record.exc_text
        try:
            line = _ENCODER.encode(entry)
        except (TypeError, ValueError, msgspec.EncodeError):  # e.g. a dict keyed by non-strings
            line = _ENCODER.encode({key: value if isinstance(value, str | int | float | bool | None)
                                    else _as_text(value) for key, value in entry.items()})
        return redact_card_numbers(line.decode())


def logging_config(level: str) -> LoggingConfig:
    return LoggingConfig(
        configure_root_logger=True,
        # backend.errors logs what matters (with the trace for a 500); Litestar's own dump would duplicate it.
        log_exceptions="never",
        formatters={"json": {"()": "backend.edge.logging_setup.JsonFormatter"}},
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
            # One "connection open/closed" line per socket is noise at tens of thousands of watchers.
            "websockets": {"level": "WARNING", "handlers": ["queue_listener"], "propagate": False},
        },
        root={"level": level, "handlers": ["queue_listener"]},
    )
