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
from hypothesis import HealthCheck, assume, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core import NotSet
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


NUL = "\x00"


def _poisoned(value: object) -> tuple[object, bool]:
    """The value with a NUL in every string (keys too), and whether it held any string."""
    if isinstance(value, str):
        return value + NUL, True
    if isinstance(value, list):
        items = [_poisoned(item) for item in value]
        return [item for item, _ in items], any(hit for _, hit in items)
    if isinstance(value, dict):
        pairs = [(_poisoned(key)[0] if isinstance(key, str) else key, _poisoned(nested)) for key, nested in value.items()]
        return {key: nested for key, (nested, _) in pairs}, bool(pairs) and (
            any(isinstance(key, str) for key in value) or any(hit for _, (_, hit) in pairs))
    return value, False


def _poison(case) -> bool:
    """Put a NUL into every string of the case: path segments, query values and the JSON body."""
    hit = False
    for container in (case.path_parameters, case.query):
        for name, value in list(container.items()):
            container[name], found = _poisoned(value)
            hit = hit or found
    if not isinstance(case.body, NotSet) and case.media_type == "application/json":
        case.body, found = _poisoned(case.body)
        hit = hit or found
    return hit


def test_text_the_database_cannot_store_is_refused_everywhere(api_schema, server) -> None:
    """Schemathesis' cases for every operation that takes a path segment, a query or a body, with NUL in each of
    their strings: 422 invalid_characters from the edge (card data, screened first, may win), never a 5xx, on
    SQLite and on PostgreSQL (whose text types cannot store NUL: it used to reach the driver as a 500)."""
    failures = []
    poisoned_operations = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        definition = operation.definition.raw
        if "requestBody" not in definition and not any(
                p.get("in") in ("path", "query") for p in definition.get("parameters", [])):
            continue  # nothing to put a NUL in (a header cannot carry one)
        poisoned_operations += 1

        @given(case=operation.as_strategy())
        @BUDGET
        def calls(case) -> None:
            assume(_poison(case))
            response = case.call(base_url=server.url, headers=_client_headers())
            try:
                error = response.json().get("error")
            except Exception:
                error = None
            assert response.status_code == 422 and error in ("invalid_characters", "card_data_forbidden"), (
                case.method, case.formatted_path, case.query, case.body, response.status_code, response.text[:300])

        try:
            calls()
        except Exception as exc:
            failures.append(f"{operation.label}: {str(exc).strip()[:1500]}")
    assert poisoned_operations > 15
    assert not failures, "\n\n".join(failures)


def test_healthy_after_the_fuzzing(server) -> None:
    assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200
