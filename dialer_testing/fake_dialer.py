"""A small fake of the dialer's agent API (/api/agent/..., see api/routers/agent.py), served by aiohttp on 127.0.0.1:0.

It speaks the contract at the HTTP level (bearer tokens, JSON bodies, 4xx with `detail`), so the real
`agent.dialer_client` is exercised end to end. Its answers are built with the agent's own schemas
(agent/schemas.py), the ones tests/integration/api/test_agent_contract.py checks the real API against, and its
dispatch metadata with the dispatch contract (dialer/agent_dispatch.py). Field values are checked with the real
`dialer.fields.normalize`, like the dialer does. Everything it receives is kept for assertions.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from dialer_testing.loopback import LoopbackServer

from agent.schemas import Briefing, CallbackScheduled, CallContext, FieldSaved, Identification
from dialer import agent_dispatch
from dialer.fields import FieldValueError, normalize, spec_for

AGENT_KEY = "agent-key-test"
CALLER = {"company": "Acme Corp", "role": "Account Executive", "recruiter_name": "Jordan Lee",
          "callback_number": "+14155550123"}
CALL_WINDOW = (time(9, 0), time(20, 0))


@dataclass
class FakeCall:
    token: str
    context: dict[str, Any]
    today: date
    saved: dict[str, dict[str, Any]] = field(default_factory=dict)
    transcript: list[dict[str, Any]] = field(default_factory=list)
    transcript_posts: int = 0
    dnc: list[str] = field(default_factory=list)
    callbacks: list[str] = field(default_factory=list)
    ends: list[dict[str, Any]] = field(default_factory=list)
    transfer_failures: list[int | None] = field(default_factory=list)
    transfers_started: int = 0


@dataclass
class FakeInterviewer:
    id: str
    name: str
    phone: str | None
    pin: str
    interview_ids: list[str]


class FakeDialer:
    def __init__(self) -> None:
        self.calls: dict[str, FakeCall] = {}
        self.briefings: dict[str, tuple[str, dict[str, Any]]] = {}  # interview id -> (token, briefing)
        self.interviewers: list[FakeInterviewer] = []
        self.requests: list[tuple[str, str]] = []
        self.fail_with: int | None = None  # answer every request with this status (outage tests)
        # Requests whose path ends with a key wait for its gate: `entered` is set when one arrives, `release`
        # lets it through (tests that interrupt the agent while a write is in flight).
        self.holds: dict[str, tuple[asyncio.Event, asyncio.Event]] = {}
        self._server = LoopbackServer()
        self.url = ""

    # -- set-up helpers -----------------------------------------------------------------------

    def add_call(
        self,
        call_id: str,
        *,
        token: str,
        fields: list[str],
        name: str = "Ada Lovelace",
        timezone: str = "America/New_York",
        transfer_to: str | None = "tel:+15550100",
        voicemail_message: str = "Hi, it's the recruiting team. We'll call again soon.",
        today: date = date(2026, 11, 25),
        caller: dict[str, Any] | None = None,
        currency: str | None = "USD",
    ) -> FakeCall:
        specs = [spec_for(name_) for name_ in fields]
        context = CallContext.model_validate({
            "call_id": call_id,
            "candidate": {"id": f"cand-{call_id}", "name": name, "timezone": timezone},
            "fields": [
                {"name": s.name, "label": s.label, "type": str(s.type), "choices": list(s.choices),
                 "question": s.question}
                for s in specs
            ],
            "voicemail_message": voicemail_message,
            "transfer_to": transfer_to,
            "caller": caller if caller is not None else dict(CALLER),
            "consent": {"source": "the careers site application form", "channel": "web_form",
                        "at": "2026-11-20T14:03:00+00:00"},
            "transcribed": True,
            "currency": currency,
        })
        self.calls[call_id] = FakeCall(token=token, context=context.model_dump(), today=today)
        return self.calls[call_id]

    def hold(self, suffix: str) -> tuple[asyncio.Event, asyncio.Event]:
        """Hold requests to paths ending with `suffix`: returns (entered, release)."""
        gate = (asyncio.Event(), asyncio.Event())
        self.holds[suffix] = gate
        return gate

    def add_briefing(self, interview_id: str, *, token: str, briefing: dict[str, Any]) -> None:
        Briefing.model_validate(briefing)  # the shape the real API answers
        self.briefings[interview_id] = (token, briefing)

    def add_interviewer(self, interviewer: FakeInterviewer) -> None:
        self.interviewers.append(interviewer)

    # -- server ---------------------------------------------------------------------------------

    async def start(self) -> str:
        app = web.Application(middlewares=[self._record])
        app.add_routes([
            web.get("/api/agent/calls/{call_id}/context", self._context),
            web.post("/api/agent/calls/{call_id}/fields", self._fields),
            web.post("/api/agent/calls/{call_id}/transcript", self._transcript),
            web.post("/api/agent/calls/{call_id}/do-not-call", self._dnc),
            web.post("/api/agent/calls/{call_id}/callback", self._callback),
            web.post("/api/agent/calls/{call_id}/end", self._end),
            web.post("/api/agent/calls/{call_id}/transfer-started", self._transfer_started),
            web.post("/api/agent/calls/{call_id}/transfer-failed", self._transfer_failed),
            web.get("/api/agent/interviews/{interview_id}/briefing", self._briefing),
            web.post("/api/agent/briefing/identify", self._identify),
            web.post("/api/agent/briefing/verify-pin", self._verify_pin),
        ])
        self.url = await self._server.start(app)
        return self.url

    async def stop(self) -> None:
        await self._server.stop()

    @web.middleware
    async def _record(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append((request.method, request.path))
        for suffix, (entered, release) in self.holds.items():
            if request.path.endswith(suffix):
                entered.set()
                await release.wait()
        if self.fail_with is not None:
            return _error(self.fail_with, "the dialer is having a bad day")
        response: web.StreamResponse = await handler(request)
        return response

    # -- handlers -------------------------------------------------------------------------------

    def _call(self, request: web.Request) -> FakeCall:
        call = self.calls.get(request.match_info["call_id"])
        if call is None:
            raise _http(404, "no such call")
        if request.headers.get("Authorization") != f"Bearer {call.token}":
            raise _http(401, "bad credential")
        return call

    async def _context(self, request: web.Request) -> web.Response:
        return web.json_response(self._call(request).context)

    async def _fields(self, request: web.Request) -> web.Response:
        call = self._call(request)
        body = await request.json()
        names = [f["name"] for f in call.context["fields"]]
        if body["name"] not in names:
            return _error(409, f"{body['name']} is not a field this call asks for")
        value = body.get("value")
        if body["status"] == "answered":
            try:
                value = normalize(spec_for(body["name"]), value or "", today=call.today)
            except FieldValueError as exc:
                return _error(422, exc.message)
        call.saved[body["name"]] = {**body, "value": value}
        missing = [n for n in names if call.saved.get(n, {}).get("status") != "answered"]
        saved = FieldSaved(name=body["name"], value=value, status=body["status"], missing_fields=missing)
        return web.json_response(saved.model_dump())

    async def _transcript(self, request: web.Request) -> web.Response:
        call = self._call(request)
        call.transcript.extend((await request.json())["turns"])
        call.transcript_posts += 1
        return web.Response(status=204)

    async def _dnc(self, request: web.Request) -> web.Response:
        self._call(request).dnc.append((await request.json())["reason"])
        return web.Response(status=204)

    async def _transfer_started(self, request: web.Request) -> web.Response:
        self._call(request).transfers_started += 1
        return web.Response(status=204)

    async def _transfer_failed(self, request: web.Request) -> web.Response:
        self._call(request).transfer_failures.append((await request.json())["sip_status"])
        return web.Response(status=204)

    async def _callback(self, request: web.Request) -> web.Response:
        call = self._call(request)
        raw = (await request.json())["at_local"]
        local = datetime.fromisoformat(raw)
        if not CALL_WINDOW[0] <= local.time() <= CALL_WINDOW[1]:
            return _error(422, "outside calling hours, which are 9 AM to 8 PM your time")
        zone = ZoneInfo(call.context["candidate"]["timezone"])
        at_utc = local.replace(tzinfo=zone).astimezone(ZoneInfo("UTC"))
        call.callbacks.append(raw)
        return web.json_response(CallbackScheduled(scheduled_at=at_utc.isoformat(), local=raw).model_dump())

    async def _end(self, request: web.Request) -> web.Response:
        self._call(request).ends.append(await request.json())
        return web.Response(status=204)

    async def _briefing(self, request: web.Request) -> web.Response:
        entry = self.briefings.get(request.match_info["interview_id"])
        if entry is None:
            return _error(404, "no such interview")
        token, briefing = entry
        if request.headers.get("Authorization") not in (f"Bearer {token}", f"Bearer {AGENT_KEY}"):
            return _error(401, "bad credential")
        return web.json_response(briefing)

    def _agent_only(self, request: web.Request) -> None:
        if request.headers.get("Authorization") != f"Bearer {AGENT_KEY}":
            raise _http(403, "agent credential required")

    def _identification(self, found: FakeInterviewer | None) -> web.Response:
        if found is None:
            return web.json_response(Identification(interviewer=None, interviews=[]).model_dump())
        interviews = []
        for interview_id in found.interview_ids:
            briefing = self.briefings[interview_id][1]
            interviews.append({
                "id": interview_id,
                "candidate_name": briefing["candidate"]["name"],
                "role": briefing["interview"].get("role"),
                "scheduled_at": briefing["interview"].get("scheduled_at"),
            })
        identification = {"interviewer": {"id": found.id, "name": found.name}, "interviews": interviews}
        return web.json_response(Identification.model_validate(identification).model_dump())

    async def _identify(self, request: web.Request) -> web.Response:
        self._agent_only(request)
        phone = (await request.json())["phone"]
        return self._identification(next((i for i in self.interviewers if i.phone == phone), None))

    async def _verify_pin(self, request: web.Request) -> web.Response:
        self._agent_only(request)
        pin = (await request.json())["pin"]
        return self._identification(next((i for i in self.interviewers if i.pin == pin), None))


def _error(status: int, detail: str) -> web.Response:
    return web.json_response({"detail": detail}, status=status)


def _http(status: int, detail: str) -> web.HTTPException:
    exc = web.HTTPClientError(text=json.dumps({"detail": detail}), content_type="application/json")
    exc.set_status(status)
    return exc


def gap_filling_metadata(dialer: FakeDialer, call_id: str) -> str:
    call = dialer.calls[call_id]
    return agent_dispatch.gap_filling_metadata(
        call_id=call_id, attempt_id=f"att-{call_id}", candidate_id=call.context["candidate"]["id"], token=call.token,
        dialer_url=dialer.url,
    )


def briefing_metadata(dialer: FakeDialer, interview_id: str | None = None) -> str:
    if interview_id is None:  # a caller to the briefing number, with the dialer's address for the worker
        return json.dumps({agent_dispatch.KEY_MODE: agent_dispatch.BRIEFING, agent_dispatch.KEY_DIALER_URL: dialer.url})
    token = dialer.briefings[interview_id][0]
    return agent_dispatch.briefing_metadata(interview_id=interview_id, token=token, dialer_url=dialer.url)
