"""The composition root: builds every service from settings once, and starts/stops what runs in the background."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from config.settings import Settings
from dialer.clock import Clock, SystemClock
from dialer.services.candidates import CandidateService
from dialer.services.interviews import InterviewService
from dialer.store.db import Database

log = logging.getLogger("dialer.runtime")


@dataclass
class Runtime:
    settings: Settings
    db: Database
    clock: Clock
    candidates: CandidateService
    interviews: InterviewService

    @classmethod
    def build(cls, settings: Settings, *, clock: Clock | None = None) -> Runtime:
        clock = clock or SystemClock()
        db = Database(settings.database_url)
        return cls(
            settings=settings,
            db=db,
            clock=clock,
            candidates=CandidateService(db=db, clock=clock, default_region=settings.default_region),
            interviews=InterviewService(
                db=db, clock=clock, default_region=settings.default_region, secret=settings.secret_key
            ),
        )

    async def start(self) -> None:
        """Start background work (the scheduler's clock, the sandbox). The schema must already be migrated."""

    def health_details(self) -> dict[str, object]:
        return {"livekit": "sandbox" if self.settings.uses_sandbox else "livekit"}

    async def stop(self) -> None:
        await self.db.dispose()
