"""The scripted models on a thread of their own: dialer_testing's fake OpenAI server, served on loopback by its
own event loop, so one server lives for the whole test session while each test loads its own script."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from typing import Any, TypeVar

from dialer_testing.fake_openai import AmdLabel, FakeOpenAI, Reply, Transcriber, Transcription

T = TypeVar("T")


class ScriptedModels:
    """``base_url`` is what the agent worker's DIALER_LLM/STT/TTS_BASE_URL point at; ``script`` sets what the
    models answer for the test that follows; the other properties tell what they were asked."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="scripted-models", daemon=True)
        self._server = FakeOpenAI()
        self.base_url = ""

    def start(self) -> None:
        self._thread.start()
        self.base_url = self._run(self._server.start())

    def stop(self) -> None:
        self._run(self._server.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(30)

    def _call(self, fn: Callable[[], T]) -> T:
        """Runs ``fn`` on the server's loop (its lists change there), and returns its result."""
        done: Future[T] = Future()

        def run() -> None:
            try:
                done.set_result(fn())
            except BaseException as exc:  # handed back to the caller's thread
                done.set_exception(exc)

        self._loop.call_soon_threadsafe(run)
        return done.result(10)

    def script(self, replies: Sequence[Reply] = (), *, transcripts: Sequence[str] | Transcriber = (),
               turns: Mapping[str, Sequence[Reply]] | None = None, amd: AmdLabel | None = None) -> None:
        """What the models answer from now on (see dialer_testing/fake_openai.py); forgets what was asked."""
        self._call(lambda: self._server.load(replies, transcripts=transcripts, turns=turns, amd=amd))

    @property
    def spoken(self) -> list[str]:
        """Every text the agent sent to text-to-speech, in order."""
        return self._call(lambda: list(self._server.speech.spoken))

    @property
    def transcriptions(self) -> list[Transcription]:
        return self._call(lambda: list(self._server.speech.transcriptions))

    @property
    def amd_transcripts(self) -> list[str]:
        """What the answering-machine classifier was asked to classify."""
        return self._call(lambda: list(self._server.amd_transcripts))

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        return self._call(lambda: list(self._server.requests))
