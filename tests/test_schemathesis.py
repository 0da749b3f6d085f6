"""Schemathesis (property-based, written by others) over the served OpenAPI document, anonymous and signed in:
no answer is a 5xx and every documented answer matches its schema.

Budget: SCHEMATHESIS_MAX_EXAMPLES examples per operation (default 8, about a minute on CI's two cores); raise it
for a deeper run, e.g. `SCHEMATHESIS_MAX_EXAMPLES=200 pytest -m schemathesis`."""

from __future__ import annotations

import os
import secrets

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.conftest import STRONG_PASSWORD, unique_email

pytestmark = pytest.mark.schemathesis
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "8"))
BUDGET = settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def api_schema(server):
    return schemathesis.openapi.from_url(f"{server.url}/schema/openapi.json")


@pytest.fixture(scope="module")
def signed_in_session(server) -> requests.Session:
    session = requests.Session()
    response = session.post(f"{server.url}/api/v1/auth/register",
                            json={"email": unique_email("fuzz"), "password": STRONG_PASSWORD, "name": "Fuzz"})
    assert response.status_code == 201, response.text
    return session


def _client_headers() -> dict[str, str]:
    # A fresh client address per case: fuzzed sign-ins must not brake the rest of the suite's loopback clients.
    return {"X-Forwarded-For": f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"}


CHECKS = [not_a_server_error, response_schema_conformance]


def fuzz_every_operation(schema, base_url: str, session: requests.Session | None, skip: tuple[str, ...] = ()
                         ) -> list[str]:
    """Each operation's own property-based test (hypothesis, within BUDGET); the failures, one line each.
    (Driven by hand: schemathesis' pytest loader for fixtures does not run under this pytest.)"""
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in skip:
            continue

        @given(case=operation.as_strategy())
        @BUDGET
        def calls(case) -> None:
            case.call_and_validate(base_url=base_url, session=session, headers=_client_headers(), checks=CHECKS)

        try:
            calls()
        except Exception as exc:  # every operation is tried; all failures are reported together
            failures.append(f"{operation.label}: {str(exc).strip()[:1500]}")
    return failures


def test_anonymous_calls(api_schema, server) -> None:
    failures = fuzz_every_operation(api_schema, server.url, None)
    assert not failures, "\n\n".join(failures)


def test_signed_in_calls(api_schema, server, signed_in_session: requests.Session) -> None:
    failures = fuzz_every_operation(api_schema, server.url, signed_in_session, skip=("/api/v1/auth/logout",))
    assert not failures, "\n\n".join(failures)


def test_healthy_after_the_fuzzing(server) -> None:
    assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200
