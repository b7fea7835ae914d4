"""A bounded schemathesis pass over the OpenAPI document against the running service, on SQLite and PostgreSQL.

`python -m dialer serve` runs as a process (its embedded sandbox included) on a fresh database; schemathesis reads
`/openapi.json` from it and sends generated requests, valid and invalid, to every operation. Any 5xx fails, and so
does any answer the document does not describe: an undocumented status, a body (4xx included) or a content type
that does not match its schema. Bounded by `FUZZ_EXAMPLES` per operation (about a minute per database here).

The brute-force limits are off in this process (schemathesis sends requests without credentials on purpose, and
test_security_limits.py covers the limits); everything else is the service as it ships.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis import checks as st_checks
from schemathesis.specs.openapi import checks as openapi_checks

from tests.served_dialer import dialer_serve

ROOT = Path(__file__).resolve().parents[3]
API_KEY = "fuzz-api-key-0123456789"
FUZZ_EXAMPLES = int(os.environ.get("DIALER_FUZZ_EXAMPLES", "12"))
CHECKS = [
    st_checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.negative_data_rejection,
]


@pytest.fixture
def running_service(database_url: str, tmp_path: Path) -> Iterator[str]:
    env = {
        **os.environ,
        "DIALER_DATABASE_URL": database_url,
        "DIALER_API_KEY": API_KEY,
        "DIALER_SANDBOX_PORT": "0",
        "DIALER_AUTH_FAILURES_PER_MINUTE": "0",
        "DIALER_REQUESTS_PER_MINUTE": "0",
        "DIALER_LOG_LEVEL": "WARNING",
    }
    env.pop("LIVEKIT_URL", None)
    with dialer_serve(env, cwd=ROOT, log_path=tmp_path / "serve.log") as service:
        yield service.base
    assert "Traceback" not in service.log(), service.log()[-4000:]


def _fuzz(operation: Any, mode: GenerationMode, problems: list[str]) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: report the first failure as found
        suppress_health_check=list(HealthCheck),
    )
    def run(case: schemathesis.Case) -> None:
        # The real key, unless a negative case left the credential out on purpose (then 401 is the right answer).
        if mode is GenerationMode.POSITIVE or "Authorization" in (case.headers or {}):
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {API_KEY}"}
        case.call_and_validate(checks=CHECKS, timeout=30)

    try:
        run()
    except Unsatisfiable:
        return  # an operation with no parameter and no body has no invalid form to send (GET /health)
    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - every failure is collected and reported together
        problems.append(f"{operation.label} ({mode.value}): {str(exc)[:1500]}")


def test_every_answer_is_documented_and_none_is_a_server_error(running_service: str) -> None:
    schema = schemathesis.openapi.from_url(f"{running_service}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 30, [op.label for op in operations]
    problems: list[str] = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz(operation, mode, problems)
    assert not problems, "\n\n".join(problems)
