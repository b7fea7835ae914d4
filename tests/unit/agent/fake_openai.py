"""A fake OpenAI-compatible chat server on 127.0.0.1:0: `/v1/chat/completions` streamed as SSE.

Each request gets the next scripted reply (text, or one tool call split over several chunks the way
OpenAI streams them); request bodies and headers are kept so tests can check what the plugin sent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class ToolCallReply:
    name: str
    arguments: dict[str, Any]


Reply = str | ToolCallReply


class FakeOpenAI:
    def __init__(self, replies: list[Reply]) -> None:
        self._replies = list(replies)
        self.requests: list[dict[str, Any]] = []
        self.auth_headers: list[str] = []
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self) -> str:
        app = web.Application()
        app.add_routes([web.post("/v1/chat/completions", self._chat), web.get("/v1/models", self._models)])
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}/v1"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model"}]})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        self.auth_headers.append(request.headers.get("Authorization", ""))
        if not body.get("stream"):
            return web.json_response({"error": {"message": "this fake only streams"}}, status=400)
        if not self._replies:
            return web.json_response({"error": {"message": "no scripted reply left"}}, status=500)
        reply = self._replies.pop(0)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        n = len(self.requests)
        for chunk in _chunks(reply, model=body.get("model", "?"), completion_id=f"chatcmpl-{n}"):
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response


def _chunks(reply: Reply, *, model: str, completion_id: str) -> list[dict[str, Any]]:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"id": completion_id, "object": "chat.completion.chunk", "created": 1_700_000_000, "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    if isinstance(reply, str):
        words = reply.split(" ")
        pieces = [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]
        return ([chunk({"role": "assistant", "content": ""})] + [chunk({"content": p}) for p in pieces]
                + [chunk({}, "stop")])
    arguments = json.dumps(reply.arguments)
    half = len(arguments) // 2
    call_head = {"index": 0, "id": f"call_{completion_id}", "type": "function",
                 "function": {"name": reply.name, "arguments": ""}}
    return [
        chunk({"role": "assistant", "content": None, "tool_calls": [call_head]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": arguments[:half]}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": arguments[half:]}}]}),
        chunk({}, "tool_calls"),
    ]
