"""Small pure pieces: settings, keypad buffer, answer policy, masking, client error mapping, transcript."""

from __future__ import annotations

import asyncio
import json
from datetime import date

import httpx
import pytest

from agent.answering import answer_action
from agent.dialer_client import DialerClient, DialerRejected, DialerUnavailable
from agent.dtmf import DtmfBuffer, digits_of
from agent.schemas import CallField
from agent.settings import DEFAULT_VOICEMAIL_MESSAGE, AgentSettings, AgentSettingsError
from agent.transcript import TranscriptRecorder
from agent.validation import AnswerInvalid, normalize_answer
from tests.unit.agent.conftest import fixed_clock
from dialer_testing.fake_dialer import FakeDialer

# -- settings ------------------------------------------------------------------------------------


def test_settings_defaults() -> None:
    settings = AgentSettings.from_env({})
    assert settings.agent_name == "dialer-agent"
    assert settings.llm_model == "gpt-4o-mini"
    assert settings.llm_base_url is None and settings.dialer_api_url is None
    assert settings.voicemail_message == DEFAULT_VOICEMAIL_MESSAGE


def test_settings_from_env_and_secrets_stay_out_of_repr() -> None:
    settings = AgentSettings.from_env({
        "LIVEKIT_URL": "wss://lk.example", "LIVEKIT_API_KEY": "lk-key", "LIVEKIT_API_SECRET": "lk-secret",
        "DIALER_AGENT_NAME": "recruiter-bot", "DIALER_AGENT_API_URL": "http://127.0.0.1:8000/",
        "DIALER_AGENT_API_KEY": "agent-secret", "DIALER_LLM_MODEL": "openai/gpt-4o-mini",
        "DIALER_LLM_BASE_URL": "https://openrouter.ai/api/v1", "DIALER_LLM_API_KEY": "or-secret",
        "DIALER_STT_MODEL": "whisper-1", "DIALER_TTS_MODEL": "tts-1", "DIALER_TTS_VOICE": "nova",
        "DIALER_VOICEMAIL_MESSAGE": "Call us back.", "DIALER_IDENTIFY_MAX_ATTEMPTS": "2",
        "DIALER_CONSOLE_METADATA": '{"token": "console-secret"}',
    })
    assert settings.agent_name == "recruiter-bot"
    assert settings.dialer_api_url == "http://127.0.0.1:8000"
    assert settings.llm_base_url == "https://openrouter.ai/api/v1"
    assert (settings.stt_model, settings.tts_model, settings.tts_voice) == ("whisper-1", "tts-1", "nova")
    assert settings.voicemail_message == "Call us back." and settings.identify_max_attempts == 2
    shown = repr(settings)
    assert not [s for s in ("lk-secret", "lk-key", "agent-secret", "or-secret", "console-secret") if s in shown]


@pytest.mark.parametrize(
    ("env", "names"),
    [({"DIALER_AGENT_API_URL": "127.0.0.1:8000"}, "DIALER_AGENT_API_URL"),
     ({"DIALER_AGENT_API_TIMEOUT_S": "soon"}, "DIALER_AGENT_API_TIMEOUT_S"),
     ({"DIALER_IDENTIFY_MAX_ATTEMPTS": "0"}, "DIALER_IDENTIFY_MAX_ATTEMPTS")],
)
def test_settings_errors_name_the_variable(env: dict[str, str], names: str) -> None:
    with pytest.raises(AgentSettingsError, match=names):
        AgentSettings.from_env(env)


# -- keypad, answer policy ---------------------------------------------------------------


def test_dtmf_buffer() -> None:
    buffer = DtmfBuffer(max_digits=6)
    assert [buffer.push(k) for k in "12#"] == [None, None, "12"]
    assert buffer.push("#") is None  # nothing typed: nothing submitted
    assert [buffer.push(k) for k in "9*48"] == [None, None, None, None] and len(buffer) == 2
    assert buffer.push("#") == "48"
    assert [buffer.push(k) for k in "123456"][-1] == "123456"  # full length submits without '#'
    assert buffer.push("A") is None and len(buffer) == 0
    assert digits_of("4 8-2 1") == "4821"


@pytest.mark.parametrize(
    ("category", "sandbox", "action"),
    [("human", None, "greet"), ("uncertain", None, "greet"), (None, None, "greet"),
     ("machine-vm", None, "voicemail"), ("machine-unavailable", None, "hang_up"), ("machine-ivr", None, "hang_up"),
     (None, "machine", "voicemail"), (None, "human", "greet"), ("machine-vm", "human", "greet")],
)
def test_answer_action(category: str | None, sandbox: str | None, action: str) -> None:
    assert answer_action(amd_category=category, sandbox_answered_by=sandbox) == action


# -- dialer client error mapping (httpx.MockTransport) ------------------------------------------------


def client_answering(status: int, body: object) -> DialerClient:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["Authorization"] == "Bearer tok"
        return httpx.Response(status, json=body)

    return DialerClient("http://dialer.test", "tok", transport=httpx.MockTransport(handler))


async def test_client_4xx_carries_the_speakable_detail() -> None:
    async with client_answering(422, {"detail": "outside calling hours"}) as client:
        with pytest.raises(DialerRejected) as raised:
            await client.schedule_callback("c1", at_local="2026-11-26T22:00")
    assert raised.value.detail == "outside calling hours" and raised.value.status == 422


async def test_client_flattens_validation_error_lists() -> None:
    async with client_answering(422, {"detail": [{"msg": "field required"}, {"msg": "bad value"}]}) as client:
        with pytest.raises(DialerRejected, match="field required; bad value"):
            await client.end_call("c1", outcome="answered", reason="done")


@pytest.mark.parametrize(("status", "body"), [(500, {"detail": "boom"}), (200, {"unexpected": True})])
async def test_client_server_errors_and_unreadable_answers_are_unavailable(status: int, body: object) -> None:
    async with client_answering(status, body) as client:
        with pytest.raises(DialerUnavailable):
            await client.call_context("c1")


async def test_client_connection_refused_is_unavailable() -> None:
    async with DialerClient("http://127.0.0.1:9", "tok", timeout_s=2) as client:
        with pytest.raises(DialerUnavailable, match="could not be reached"):
            await client.briefing("i1")


# -- transcript batching ----------------------------------------------------------------------------


async def test_transcript_turns_queue_while_a_post_is_in_flight() -> None:
    posted: list[list[str]] = []
    entered, release = asyncio.Event(), asyncio.Event()

    async def handler(request: httpx.Request) -> httpx.Response:
        entered.set()
        await release.wait()
        posted.append([t["text"] for t in json.loads(request.content)["turns"]])
        return httpx.Response(204)

    async with DialerClient("http://dialer.test", "tok", transport=httpx.MockTransport(handler)) as client:
        recorder = TranscriptRecorder(client, "c1", clock=fixed_clock)
        recorder.add("assistant", "Hi Ada")
        await entered.wait()  # the first POST is in flight (and held)
        recorder.add("user", "Hello")
        recorder.add("user", "   ")  # empty: skipped
        recorder.add("system", "ignored")  # not a speaker
        recorder.add("assistant", "Great")
        release.set()
        await recorder.aclose()
    assert posted == [["Hi Ada"], ["Hello", "Great"]]
    assert recorder.posted == 3


async def test_transcript_failure_keeps_turns_for_the_next_post(dialer: FakeDialer) -> None:
    dialer.add_call("c1", token="tok", fields=["location"])
    async with DialerClient(dialer.url, "tok") as client:
        recorder = TranscriptRecorder(client, "c1", clock=fixed_clock)
        dialer.fail_with = 503
        recorder.add("assistant", "Hi Ada")
        await recorder.flush()
        assert dialer.calls["c1"].transcript == []
        dialer.fail_with = None
        recorder.add("user", "Hi")
        await recorder.aclose()
    assert [t["text"] for t in dialer.calls["c1"].transcript] == ["Hi Ada", "Hi"]


# -- answer validation ------------------------------------------------------------------------------


def test_catalog_fields_keep_their_units_and_synonyms() -> None:
    weeks = CallField(name="notice_period_weeks", label="notice period", type="number")
    assert normalize_answer(weeks, "about four weeks", today=date(2026, 11, 25)) == "4"
    with pytest.raises(AnswerInvalid, match="number of weeks"):
        normalize_answer(weeks, "two months", today=date(2026, 11, 25))
    visa = CallField(name="work_authorization", label="work authorization", type="choice",
                     choices=["citizen", "permanent_resident", "visa_holder", "visa_required"])
    assert normalize_answer(visa, "I have a green card", today=date(2026, 11, 25)) == "permanent_resident"


def test_custom_fields_follow_the_type_the_dialer_declared() -> None:
    bonus = CallField(name="signing_bonus_pct", label="signing bonus", type="percentage")
    assert normalize_answer(bonus, "ten percent", today=date(2026, 11, 25)) == "10%"
    shift = CallField(name="shift", label="shift", type="choice", choices=["day", "night"])
    assert normalize_answer(shift, "the night one", today=date(2026, 11, 25)) == "night"
    odd = CallField(name="hobby", label="hobby", type="hologram")
    assert normalize_answer(odd, "  chess  ", today=date(2026, 11, 25)) == "chess"
