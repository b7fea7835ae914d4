"""Requests before their body (issue #13): authentication first, body caps, webhook diagnostics, the docs page, and
an OpenAPI document that tells the truth about error bodies."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from livekit.protocol.models import ParticipantInfo, Room
from livekit.protocol.webhook import WebhookEvent

from api.app import create_app
from dialer.runtime import Runtime
from sandbox.webhooks import encode_webhook
from tests.support import api_client

MB = 1024 * 1024


class _Asgi:
    """Drives the app with a body that streams in chunks, counting how much of it the app pulled."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def post(self, path: str, *, size: int, headers: dict[str, str], declare_length: bool = True) -> tuple[int, dict[str, Any], int]:
        chunk = b"{" * (64 * 1024)
        pulled = 0
        status = 0
        body = b""
        raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()] + [(b"content-type", b"application/json")]
        if declare_length:
            raw.append((b"content-length", str(size).encode()))

        async def receive() -> dict[str, Any]:
            nonlocal pulled
            if pulled >= size:
                return {"type": "http.disconnect"}
            pulled += len(chunk)
            return {"type": "http.request", "body": chunk, "more_body": pulled < size}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status, body
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                body += message.get("body", b"")

        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
            "path": path, "raw_path": path.encode(), "query_string": b"", "headers": raw,
            "client": ("127.0.0.1", 5000), "server": ("dialer.test", 80), "root_path": "",
        }
        await self.app(scope, receive, send)
        return status, json.loads(body or b"{}"), pulled


@pytest.fixture
def asgi(runtime: Runtime) -> _Asgi:
    return _Asgi(create_app(runtime, manage_runtime=False))


def _signed(runtime: Runtime, event: WebhookEvent) -> tuple[str, str]:
    return encode_webhook(event, api_key=runtime.livekit.api_key, api_secret=runtime.livekit.api_secret)


async def test_unauthenticated_bodies_are_refused_before_they_are_read(asgi: _Asgi, auth: dict[str, str]) -> None:
    status, body, pulled = await asgi.post("/api/candidates/bulk", size=32 * MB, headers={})
    assert (status, pulled) == (401, 0) and "DIALER_API_KEY" in body["detail"] and body["errors"]
    status, _, pulled = await asgi.post("/api/livekit/webhook", size=50 * MB, headers={})
    assert (status, pulled) == (401, 0)
    status, _, pulled = await asgi.post("/api/livekit/webhook", size=50 * MB, headers={"Authorization": "not-a-jwt"})
    assert (status, pulled) == (401, 0)  # the JWT is verified before the body
    status, _, pulled = await asgi.post("/api/agent/calls/call_x/transcript", size=4 * MB, headers={"Authorization": "Bearer guess"})
    assert (status, pulled) == (401, 0)


async def test_bodies_are_capped_per_route_with_413(asgi: _Asgi, runtime: Runtime, auth: dict[str, str]) -> None:
    status, body, pulled = await asgi.post("/api/candidates", size=2 * MB, headers=auth)
    assert (status, pulled) == (413, 0) and "1 MB" in body["detail"] and body["errors"]
    status, _, pulled = await asgi.post("/api/dnc", size=1 * MB, headers=auth, declare_length=False)
    assert status == 413 and pulled <= 128 * 1024, (status, _)  # cut off at the cap, not read whole
    _, token = _signed(runtime, WebhookEvent(event="room_started", id="EV_1"))
    status, _, pulled = await asgi.post("/api/livekit/webhook", size=50 * MB, headers={"Authorization": token})
    assert (status, pulled) == (413, 0)
    status, _, pulled = await asgi.post("/api/livekit/webhook", size=50 * MB, headers={"Authorization": token}, declare_length=False)
    assert status == 413 and pulled <= 1 * MB + 64 * 1024


async def test_malformed_json_without_a_key_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/candidates", content=b"{not json", headers={"Content-Type": "application/json"})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("content", "words"),
    [(b'{"name": "\xff\xfe"}', "UTF-8"), (b"[" * 20_000 + b"]" * 20_000, "nest")],
)
async def test_unreadable_bodies_are_400_with_errors(
    client: httpx.AsyncClient, auth: dict[str, str], content: bytes, words: str
) -> None:
    response = await client.post("/api/interviewers", content=content, headers={**auth, "Content-Type": "application/json"})
    assert response.status_code in (400, 422), response.text
    body = response.json()
    assert isinstance(body["detail"], str) and body["errors"] and words in body["detail"], body


async def test_a_signed_body_of_the_wrong_shape_is_400_not_a_signature_error(client: httpx.AsyncClient, runtime: Runtime) -> None:
    body = json.dumps({"event": 42, "room": "not an object"})
    import base64
    import hashlib

    from livekit.api import AccessToken

    digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
    token = AccessToken(runtime.livekit.api_key, runtime.livekit.api_secret).with_sha256(digest).to_jwt()
    response = await client.post("/api/livekit/webhook", content=body, headers={"Authorization": token})
    assert response.status_code == 400, response.text
    assert "not a LiveKit webhook event" in response.json()["detail"]
    tampered = await client.post("/api/livekit/webhook", content=body + " ", headers={"Authorization": token})
    assert tampered.status_code == 401 and "does not match" in tampered.json()["detail"]


class _RecordingTelephony:
    def __init__(self) -> None:
        self.ended: list[str] = []

    async def participants(self, room_name: str) -> list[Any]:
        return []

    async def end_room(self, room_name: str) -> None:
        self.ended.append(room_name)


async def test_a_departure_from_another_applications_room_is_ignored(client: httpx.AsyncClient, runtime: Runtime) -> None:
    telephony = _RecordingTelephony()
    runtime.livekit_events._telephony = telephony  # type: ignore[assignment]
    event = WebhookEvent(
        event="participant_left", id="EV_other", room=Room(name="someone-elses-room"),
        participant=ParticipantInfo(identity="visitor", kind=ParticipantInfo.Kind.STANDARD),
    )
    body, token = _signed(runtime, event)
    response = await client.post("/api/livekit/webhook", content=body, headers={"Authorization": token})
    assert response.status_code == 200 and response.json() == {"result": "ignored"}
    assert telephony.ended == []
    own = WebhookEvent(
        event="participant_left", id="EV_own", room=Room(name="briefing-call-_+1_abc"),
        participant=ParticipantInfo(identity="sip_caller", kind=ParticipantInfo.Kind.SIP),
    )
    body, token = _signed(runtime, own)
    response = await client.post("/api/livekit/webhook", content=body, headers={"Authorization": token})
    assert response.json() == {"result": "applied"} and telephony.ended == ["briefing-call-_+1_abc"]


async def test_docs_are_served_from_the_package_under_a_csp(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert "http" not in page.text.replace("http-equiv", "")  # no CDN, no absolute URL at all
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    for src in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css", "/docs/assets/init.js"):
        asset = await client.get(src)
        assert asset.status_code == 200 and len(asset.content) > 50, src
    assert (await client.get("/docs/assets/..%2Fcore.py")).status_code == 404


async def test_docs_can_be_turned_off(runtime: Runtime) -> None:
    runtime.settings = runtime.settings.model_copy(update={"api_docs": False})
    async with api_client(create_app(runtime, manage_runtime=False)) as http:
        assert (await http.get("/docs")).status_code == 404
        assert (await http.get("/openapi.json")).status_code == 200


async def test_openapi_documents_the_one_error_shape_for_every_status(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    error = document["components"]["schemas"]["ErrorOut"]
    assert error["properties"]["detail"]["type"] == "string" and "errors" in error["required"]
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status in ("400", "401", "413", "422", "429"):
                schema = operation["responses"][status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (method, path, status)
