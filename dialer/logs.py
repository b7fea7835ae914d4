"""Logging set-up. Messages name ids and outcomes; phone numbers, transcripts and DTMF digits never appear."""

from __future__ import annotations

import logging
import os


def configure_logging(level: str | None = None) -> None:
    logging.basicConfig(
        level=(level or os.environ.get("DIALER_LOG_LEVEL", "INFO")).upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    # APScheduler logs every tick at INFO; its warnings and errors are what matter.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # httpx logs every request URL at INFO; URLs are ours (ids only), but the noise is not worth it.
    logging.getLogger("httpx").setLevel(logging.WARNING)
