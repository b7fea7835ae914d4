"""The sandbox's agent worker: it takes the jobs the sandbox dispatches, as a registered livekit-agents worker does.

Real LiveKit dispatches a room's agents once, when the room is created, to a worker registered under the dispatch's
agent name; when no such worker is free the job is dropped and nobody joins. The dialer therefore waits for an agent
participant (kind AGENT) before it rings anyone. Here, a dispatch to a name this worker serves becomes a job: the
dispatch's state lists it (as ListDispatch shows on LiveKit) and an agent participant, identity ``agent-<job id>``,
kind AGENT, joins the room ``join_delay_s`` later. It leaves with the room. A dispatch to a name it does not serve,
or any dispatch while ``available`` is False (the worker stopped), gets no job and no participant, as on LiveKit.

How to use it:

- ``LiveKitSandbox(agents=SandboxAgents(names={"dialer-agent"}))`` serves that name only; the default
  (``agents=True``) serves every explicit agent name, ``agents=False`` runs no worker at all.
- ``sandbox.agents.available = False`` stops taking jobs (a stopped worker); True takes them again.
- The conversation itself is not this worker's: the simulated callee and the real agent classes start when the
  phone answers (``sandbox/simulated_call.py``, on ``LiveKitSandbox.on_call_answered``), as the real agent waits for
  the callee before it speaks. This worker only makes the agent's presence true, which is what the dialer checks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING

from livekit.protocol.agent import Job, JobState, JobStatus, JobType
from livekit.protocol.agent_dispatch import AgentDispatch
from livekit.protocol.models import ParticipantInfo

from .ids import new_id

if TYPE_CHECKING:
    from .state import RoomRegistry


@dataclass(frozen=True)
class SandboxJob:
    """One job the sandbox worker took: what a livekit-agents entrypoint gets in its JobContext."""

    id: str
    room_name: str
    identity: str  # the agent participant's
    agent_name: str
    metadata: str
    registry: RoomRegistry


class SandboxAgents:
    def __init__(
        self, *, names: Collection[str] | None = None, join_delay_s: float = 0.0
    ) -> None:
        """`names`: the agent names served (None: every explicit name; "" in it takes automatic dispatches too)."""
        if join_delay_s < 0:
            raise ValueError("join_delay_s cannot be negative")
        self._names = frozenset(names) if names is not None else None
        self._join_delay_s = join_delay_s
        self.available = True
        self.jobs: list[SandboxJob] = []  # every job taken, in order
        self._tasks: dict[str, set[asyncio.Task[None]]] = {}  # room name -> its jobs' running tasks and timers

    def serves(self, agent_name: str) -> bool:
        if not self.available:
            return False
        return bool(agent_name) if self._names is None else agent_name in self._names

    def take(self, registry: RoomRegistry, dispatch: AgentDispatch) -> None:
        """A dispatch was made: take the job if this worker serves its name, and join the room."""
        if not self.serves(dispatch.agent_name):
            return
        job_id = new_id("AJ_")
        identity = f"agent-{job_id}"
        dispatch.state.jobs.append(
            Job(id=job_id, dispatch_id=dispatch.id, type=JobType.JT_ROOM, agent_name=dispatch.agent_name,
                metadata=dispatch.metadata, state=JobState(status=JobStatus.JS_RUNNING, participant_identity=identity))
        )
        job = SandboxJob(id=job_id, room_name=dispatch.room, identity=identity, agent_name=dispatch.agent_name,
                         metadata=dispatch.metadata, registry=registry)
        self.jobs.append(job)
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no loop (a synchronous unit test of the registry): join at once
            self._join(job)
            return
        self._track(job.room_name, asyncio.ensure_future(self._run(job)))

    async def _run(self, job: SandboxJob) -> None:
        if self._join_delay_s > 0:
            await asyncio.sleep(self._join_delay_s)
        if job.room_name not in job.registry.rooms:
            return  # the room ended before the agent got there
        self._join(job)

    def _join(self, job: SandboxJob) -> None:
        info = ParticipantInfo(identity=job.identity, name="agent", kind=ParticipantInfo.Kind.AGENT)
        job.registry.join(job.room_name, info)

    def _track(self, room_name: str, task: asyncio.Task[None]) -> None:
        tasks = self._tasks.setdefault(room_name, set())
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def room_finished(self, room_name: str) -> None:
        """The room ended: its jobs end too."""
        for task in self._tasks.pop(room_name, set()):
            task.cancel()

    def close(self) -> None:
        for room_name in list(self._tasks):
            self.room_finished(room_name)
