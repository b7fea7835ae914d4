"""A local OpenAI-compatible server on 127.0.0.1:0 for the agent's real livekit-plugins-openai models.

- `/v1/chat/completions`, streamed as SSE: each request gets the next scripted reply (text, or one tool
  call split over several chunks the way OpenAI streams them). With ``turns`` instead of a queue, the reply is
  chosen by the conversation itself: the scripted line the last user message ends with, and how many tool results
  followed it, so several calls at once each get their own script. A request that offers the ``save_prediction`` tool is
  livekit-agents' answering-machine classifier (it reuses the session's model): it gets ``save_prediction`` with
  the label ``amd(transcript)`` gives (default ``human``), and never takes a scripted reply;
- `/v1/audio/speech`: real speech audio, spoken by Debian's espeak-ng, as WAV (what the phone hears);
- `/v1/audio/transcriptions`: the next scripted transcript for each utterance that carries sound (an
  utterance of silence transcribes as ""), the way a speech model hears the phone's scripted lines; or, with a
  callable, the text it gives for the utterance's length in seconds.
Request bodies and headers are kept so tests can check what the plugins sent. ``load`` replaces the script (a
new test on a long-lived server).
"""

from __future__ import annotations

import asyncio
import io
import json
import shutil
import tempfile
import wave
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aiohttp import web

from dialer_testing.loopback import LoopbackServer


@dataclass(frozen=True)
class ToolCallReply:
    name: str
    arguments: dict[str, Any]
    text: str = ""  # said in the same reply, before the call (as a model says "Goodbye!" and ends the call)


Reply = str | ToolCallReply
Transcriber = Callable[[float], str]  # utterance length in seconds -> what the callee said
AmdLabel = Callable[[str], str]  # the greeting's transcript -> an AMDCategory value
AMD_TOOL = "save_prediction"

# Peak amplitude (16-bit) under which an utterance counts as silence: comfort noise and codec hiss.
SILENCE_PEAK = 500


@dataclass(frozen=True)
class Transcription:
    """One request to /v1/audio/transcriptions: how much audio came, how loud, and what was answered."""

    seconds: float
    peak: int
    text: str


@dataclass
class SpeechLog:
    """What was asked of the speech endpoints, in order."""

    spoken: list[str] = field(default_factory=list)
    transcriptions: list[Transcription] = field(default_factory=list)


class FakeOpenAI:
    def __init__(self, replies: Sequence[Reply] = (), *, transcripts: Sequence[str] | Transcriber = (),
                 turns: Mapping[str, Sequence[Reply]] | None = None, amd: AmdLabel | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        self.auth_headers: list[str] = []
        self.speech = SpeechLog()
        self.amd_transcripts: list[str] = []
        self.load(replies, transcripts=transcripts, turns=turns, amd=amd)
        self._server = LoopbackServer()
        self.base_url = ""

    def load(self, replies: Sequence[Reply] = (), *, transcripts: Sequence[str] | Transcriber = (),
             turns: Mapping[str, Sequence[Reply]] | None = None, amd: AmdLabel | None = None) -> None:
        """A new script; what was asked so far is forgotten."""
        self._replies = list(replies)
        self._transcripts: list[str] | Transcriber = transcripts if callable(transcripts) else list(transcripts)
        self._turns = {_normal(k): list(v) for k, v in (turns or {}).items()}
        self._amd: AmdLabel = amd or (lambda _transcript: "human")
        self.requests.clear()
        self.auth_headers.clear()
        self.amd_transcripts.clear()
        self.speech = SpeechLog()

    async def start(self) -> str:
        app = web.Application()
        app.add_routes([
            web.post("/v1/chat/completions", self._chat),
            web.get("/v1/models", self._models),
            web.post("/v1/audio/speech", self._speak),
            web.post("/v1/audio/transcriptions", self._transcribe),
        ])
        self.base_url = f"{await self._server.start(app)}/v1"
        return self.base_url

    async def stop(self) -> None:
        await self._server.stop()

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model"}]})

    def _next_reply(self, body: dict[str, Any]) -> Reply | str:
        """The reply, or an error message (str prefixed "!") saying why the script has none."""
        tools = {t.get("function", {}).get("name") for t in body.get("tools") or []}
        messages = body.get("messages") or []
        if AMD_TOOL in tools:
            transcript = _text(next((m for m in reversed(messages) if m.get("role") == "user"), {}))
            self.amd_transcripts.append(transcript)
            return ToolCallReply(AMD_TOOL, {"label": self._amd(transcript)})
        self.requests.append(body)
        if self._turns:
            last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=-1)
            said = _normal(_text(messages[last_user])) if last_user >= 0 else ""
            step = sum(1 for m in messages[last_user + 1:] if m.get("role") == "tool")
            # the longest scripted line the user's last message ends with (a turn that got no reply, such as a
            # "Hello?" before the greeting, is merged into the next one)
            key = max((k for k in self._turns if said.endswith(k)), key=len, default=None)
            script = self._turns[key] if key is not None else None
            if script is None:
                return f"!no scripted turn for what the user said ({len(said)} characters)"
            return script[step] if step < len(script) else f"!the turn's script has no step {step}"
        return self._replies.pop(0) if self._replies else "!no scripted reply left"

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.auth_headers.append(request.headers.get("Authorization", ""))
        if not body.get("stream"):
            return web.json_response({"error": {"message": "this fake only streams"}}, status=400)
        reply = self._next_reply(body)
        if isinstance(reply, str) and reply.startswith("!"):
            return web.json_response({"error": {"message": reply[1:]}}, status=500)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        n = len(self.auth_headers)
        for chunk in _chunks(reply, model=body.get("model", "?"), completion_id=f"chatcmpl-{n}"):
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    async def _speak(self, request: web.Request) -> web.Response:
        body = await request.json()
        text = str(body.get("input", ""))
        self.speech.spoken.append(text)
        return web.Response(body=await espeak_wav(text), content_type="audio/wav")

    async def _transcribe(self, request: web.Request) -> web.Response:
        form = await request.post()
        upload = form.get("file")
        audio = upload.file.read() if isinstance(upload, web.FileField) else b""
        seconds, peak = wav_level(audio)
        text = ""
        if peak >= SILENCE_PEAK:
            if callable(self._transcripts):
                text = self._transcripts(seconds)
            elif self._transcripts:
                text = self._transcripts.pop(0)
        self.speech.transcriptions.append(Transcription(seconds=seconds, peak=peak, text=text))
        return web.json_response({"text": text})


async def espeak_wav(text: str) -> bytes:
    """`text` spoken by espeak-ng, as a 16-bit mono WAV file."""
    binary = shutil.which("espeak-ng")
    if binary is None:
        raise RuntimeError("espeak-ng is not installed (Debian package espeak-ng)")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "speech.wav"  # a file, not stdout: only a seekable output gets true WAV sizes
        proc = await asyncio.create_subprocess_exec(
            binary, "-w", str(path), text, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
        _, err = await proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"espeak-ng failed: {err.decode(errors='replace')}")
        return path.read_bytes()


def wav_level(data: bytes) -> tuple[float, int]:
    """(duration in seconds, peak 16-bit amplitude) of a PCM WAV file; (0, 0) for anything else."""
    try:
        with wave.open(io.BytesIO(data)) as wav:
            if wav.getsampwidth() != 2:
                return 0.0, 0
            frames = wav.readframes(wav.getnframes())
            seconds = wav.getnframes() / wav.getframerate()
    except (wave.Error, EOFError):
        return 0.0, 0
    samples = array("h", frames[: len(frames) - len(frames) % 2])
    return seconds, max((abs(s) for s in samples), default=0)


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
    spoken = [chunk({"role": "assistant", "content": reply.text})] if reply.text else []
    return spoken + [
        chunk({"role": "assistant", "content": None, "tool_calls": [call_head]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": arguments[:half]}}]}),
        chunk({"tool_calls": [{"index": 0, "function": {"arguments": arguments[half:]}}]}),
        chunk({}, "tool_calls"),
    ]


def _text(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content or "")


def _normal(text: str) -> str:
    return " ".join(text.lower().split())
