"""The voice path on the stage: real livekit-server and livekit-sip, `dialer serve`, one `python -m agent start`
worker process, the sipp phone, and the scripted models (tests/stage/voice: the same set-up as the scenarios).

Each call: the phone rings 1 s, answers, says "Hello?" (0.7 s of espeak-ng), waits for the greeting, then says
"Yes, this is Ada speaking."; the scripted model confirms the identity (one tool round trip) and answers. Measured
at the phone, from its recording (RTP arrival times) and sipp's clock:

  answer → first agent audio      the phone's 200/ACK to the first sound it hears (includes the callee's own
                                  "Hello?" and the answering-machine detector's 0.5 s of silence after it)
  hello end → first agent audio   the end of the callee's "Hello?" to the greeting's first sound: our reaction
  speech end → reply              the end of "Yes, this is Ada speaking." to the first sound of the reply
                                  (VAD end of speech, endpointing delay, STT, LLM with a tool step, TTS, RTP)

Baseline (same run): the scripted models' own time for the same work, asked directly over HTTP (a transcription,
two chat completions, the reply's speech), so the rest is ours and LiveKit's. Concurrency goes up in bounded steps
(default 1, 2, 4, 6, 8 calls placed at once; every step runs) and the largest step whose "hello end → first agent
audio" p99 stays within 1.5 s is reported; CPU per call
is the worker's process tree (the worker, its job processes) from /proc/<pid>/stat over each step, per call.
Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dialer_testing.fake_openai import ToolCallReply  # noqa: E402
from tests.stage.build import ensure_binaries  # noqa: E402
from tests.stage.fixtures import create_outbound_trunk  # noqa: E402
from tests.stage.rtp_media import Silence  # noqa: E402
from tests.stage.sipp_scenario import CallScript  # noqa: E402
from tests.stage.stage import start_stage  # noqa: E402
from tests.stage.voice.callee import CalleePhone  # noqa: E402
from tests.stage.voice.environment import CONSENT, dialer_env, worker_env  # noqa: E402
from tests.stage.voice.heard import analyse  # noqa: E402
from tests.stage.voice.models import ScriptedModels  # noqa: E402
from tests.stage.voice.services import AgentWorker, DialerService, HookReceiver  # noqa: E402
from tests.stage.voice.speech import Voice, wav_seconds  # noqa: E402

HELLO, ME = "Hello?", "Yes, this is Ada speaking."
REPLY = "Thanks, Ada. That's all I needed today, goodbye!"
HELLO_AT, ME_AT = 0.3, 14.0  # seconds after the answer
FIRST_AUDIO_LIMIT_S = 1.5
TICKS = os.sysconf("SC_CLK_TCK")


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(samples: list[float]) -> str:
    if not samples:
        return "no samples"
    return (f"p50 {statistics.median(samples) * 1000:6.0f} ms  p99 {pct(samples, 0.99) * 1000:6.0f} ms  "
            f"max {max(samples) * 1000:6.0f} ms  (n={len(samples)})")


class TreeCpu:
    """CPU seconds of a process and its descendants, sampled every 0.5 s (job processes come and go)."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _tree(self) -> dict[int, float]:
        stats: dict[int, tuple[int, float]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry)] = (int(fields[1]), sum(int(f) for f in fields[11:15]) / TICKS)  # ppid; u+s+cu+cs
        inside = {self.root}
        for _ in range(6):
            inside |= {pid for pid, (ppid, _cpu) in stats.items() if ppid in inside}
        return {pid: stats[pid][1] for pid in inside if pid in stats}

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.sample()

    def sample(self) -> None:
        for pid, cpu in self._tree().items():
            self.seen[pid] = max(cpu, self.seen.get(pid, 0.0))

    def total(self) -> float:
        self.sample()
        return sum(self.seen.values())

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()


def transcribe(seconds: float) -> str:
    return HELLO if seconds < 1.4 else ME


def models_baseline(models: ScriptedModels, voice: Voice) -> float:
    """The scripted models' own time for one reply: the transcription, two chat completions, the speech."""
    with httpx.Client(base_url=models.base_url, timeout=30) as http:
        wav = voice.say(ME).wav.read_bytes()
        started = time.perf_counter()
        http.post("/audio/transcriptions", files={"file": ("a.wav", wav, "audio/wav")}, data={"model": "m"})
        for _ in range(2):
            with http.stream("POST", "/chat/completions", json={"model": "m", "stream": True, "messages": [
                    {"role": "user", "content": ME}]}) as response:
                for _line in response.iter_lines():
                    pass
        http.post("/audio/speech", json={"model": "m", "input": REPLY, "voice": "alloy"})
        return time.perf_counter() - started


def run_step(n: int, dialer: DialerService, callee: CalleePhone, voice: Voice, cpu: TreeCpu,
             models: ScriptedModels) -> dict[str, Any]:
    hello, me = voice.say(HELLO), voice.say(ME)
    media = (Silence(HELLO_AT), hello, Silence(ME_AT - HELLO_AT - wav_seconds(hello)), me, Silence(12.0))
    numbers = [callee.number(f"{60 + i}") for i in range(n)]
    phone = callee.use({number: CallScript("answer", ring_s=1.0, media=media, hangup_after_s=24.0)
                        for number in numbers})
    models.script(transcripts=transcribe, turns={ME: [ToolCallReply("confirm_identity", {}), REPLY]})
    before, started = cpu.total(), time.monotonic()
    for number in numbers:
        candidate = dialer.api("POST", "/api/candidates", json={
            "external_id": f"bench-{number}-{time.time()}", "name": "Ada Lovelace", "phone": number,
            "required_fields": ["start_date"], "consent": CONSENT})
        dialer.api("POST", "/api/calls", json={"candidate_id": candidate["id"]})
    first, reaction, reply = [], [], []
    for number in numbers:
        answered = phone.wait_event("ANSWERED", callee=number, timeout_s=90)
        phone.wait_event("END", call_id=answered.call_id, timeout_s=90)
        heard = analyse(phone.recording(answered.call_id))
        hello_end = answered.at + HELLO_AT + wav_seconds(hello)
        me_end = answered.at + ME_AT + wav_seconds(me)
        agent = heard.segments_after(answered.at + HELLO_AT)
        if agent:
            first.append(agent[0].start - answered.at)
            reaction.append(agent[0].start - hello_end)
        replies = [s for s in heard.segments if s.start > me_end - 0.3]
        if replies:
            reply.append(replies[0].start - me_end)
    cpu_s = cpu.total() - before
    return {"n": n, "first": first, "reaction": reaction, "reply": reply, "cpu_s": cpu_s,
            "wall_s": time.monotonic() - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", default="1,2,4,6,8", help="concurrent calls per step (default 1,2,4,6,8)")
    parser.add_argument("--repeat", type=int, default=2, help="rounds per step (default 2)")
    args = parser.parse_args()
    steps = [int(s) for s in args.steps.split(",")]
    binaries = ensure_binaries()
    with tempfile.TemporaryDirectory(prefix="voice-bench-") as workdir:
        root = Path(workdir)
        stage = start_stage(binaries, root, "redis-server")
        models, hooks = ScriptedModels(), HookReceiver()
        callee = CalleePhone(stage, root / "callee", "sipp")
        voice = Voice(root / "voice")
        dialer = worker = None
        results: list[dict[str, Any]] = []
        try:
            models.start()
            hooks.start()
            with ThreadPoolExecutor(1) as pool:
                trunk = pool.submit(asyncio.run, create_outbound_trunk(stage, callee.address, "bench")).result()
            stage.webhooks.forward_to = None
            dialer = DialerService(root, dialer_env(stage, trunk_id=trunk, webhook_url=hooks.url))
            stage.webhooks.forward_to = f"{dialer.url}/api/livekit/webhook"
            dialer.start()
            worker = AgentWorker(root, worker_env(stage, dialer_url=dialer.url, models_url=models.base_url))
            worker.start()
            cpu = TreeCpu(worker.pid)
            cpu.start()
            baseline = statistics.median(models_baseline(models, voice) for _ in range(5))
            for n in steps:
                merged: dict[str, Any] = {"n": n, "first": [], "reaction": [], "reply": [], "cpu_s": 0.0,
                                          "wall_s": 0.0}
                for _ in range(args.repeat):
                    step = run_step(n, dialer, callee, voice, cpu, models)
                    for key in ("first", "reaction", "reply"):
                        merged[key] += step[key]
                    merged["cpu_s"] += step["cpu_s"]
                    merged["wall_s"] += step["wall_s"]
                results.append(merged)
                print(f"  {n} at once: hello end → first audio {summary(merged['reaction'])}", flush=True)
            cpu.stop()
            report(binaries, args.repeat, baseline, results)
        finally:
            callee.stop()
            if worker is not None:
                worker.stop()
            if dialer is not None:
                dialer.stop()
            hooks.stop()
            models.stop()
            try:
                stage.stop()
            except Exception as exc:  # the figures are printed; a cleanup failure is reported, not hidden
                print(f"stage clean-up: {exc}", file=sys.stderr)


def report(binaries: Any, repeat: int, baseline: float, results: list[dict[str, Any]]) -> None:
    args_repeat = repeat
    print(f"voice path on the stage: livekit-server {binaries.server_version}, livekit-sip {binaries.sip_version}, "
          f"one agent worker process, scripted models, {args_repeat} rounds per step; load average now "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"  baseline: the scripted models' own time for one reply (STT + 2 chat completions + TTS over HTTP): "
          f"{baseline * 1000:.0f} ms")
    one = results[0] if results else None
    for r in results:
        calls = r["n"] * args_repeat
        ratio = (statistics.median(r["reply"]) / statistics.median(one["reply"])
                 if one and one["reply"] and r["reply"] else float("nan"))
        print(f"  {r['n']} call(s) at once")
        print(f"    answer → first agent audio      {summary(r['first'])}")
        print(f"    hello end → first agent audio   {summary(r['reaction'])}")
        print(f"    speech end → reply              {summary(r['reply'])}  (p50 × {ratio:.2f} of 1 call; "
              f"p50 less the models' baseline: {(statistics.median(r['reply']) - baseline) * 1000:.0f} ms)"
              if r["reply"] else "    speech end → reply              no samples")
        print(f"    worker CPU per call             {r['cpu_s'] / calls:.2f} CPU-s per ~26 s call "
              f"({r['cpu_s'] / calls / 26 * 100:.0f}% of a core)")
    passed = [r["n"] for r in results if r["reaction"] and pct(r["reaction"], 0.99) <= FIRST_AUDIO_LIMIT_S]
    print(f"  concurrent calls one worker carries with hello end → first audio p99 ≤ {FIRST_AUDIO_LIMIT_S} s: "
          f"{max(passed) if passed else 'none of the steps'}")


if __name__ == "__main__":
    main()
