"""Logging set-up. Messages name ids and outcomes; phone numbers, transcripts and DTMF digits never appear.

The database driver and the ORM would log every statement's parameters and every row they read (numbers, names,
transcripts, collected values) at INFO/DEBUG. They are kept at WARNING, and whatever level someone sets them to,
`hide_driver_values` keeps the values out: a statement's text stays, its parameters and rows never reach a record.
"""

from __future__ import annotations

import logging
import os

# Loggers that would print bound parameters or result rows: SQLAlchemy's engine and pool, and the two drivers.
DRIVER_LOGGERS = ("sqlalchemy", "sqlalchemy.engine", "sqlalchemy.engine.Engine", "sqlalchemy.pool", "aiosqlite", "asyncpg")


class _HideValues(logging.Filter):
    """Keeps a record's message template and drops its arguments (where the values are)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = f"{record.msg} [values hidden]"
            record.args = ()
        return True


_FILTER = _HideValues()


def hide_driver_values() -> None:
    """Idempotent: installs the filter on every driver/ORM logger (records are filtered where they are made)."""
    for name in DRIVER_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


def configure_logging(level: str | None = None) -> None:
    logging.basicConfig(
        level=(level or os.environ.get("DIALER_LOG_LEVEL", "INFO")).upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    # APScheduler logs every tick at INFO; its warnings and errors are what matter.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # httpx logs every request URL at INFO; URLs are ours (ids only), but the noise is not worth it.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # The driver and ORM stay at WARNING even with DIALER_LOG_LEVEL=DEBUG, and never show values at any level.
    for name in DRIVER_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    hide_driver_values()
