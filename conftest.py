"""Registers the suite-wide fixtures once for every test path (tests/, e2e/, tools/stripe_standin/tests/), so the
end-to-end tests share the one server, database and Redis of the rest of the suite instead of starting their own."""

from tests.support.fixtures import (  # noqa: F401 - fixtures are found by name
    _drop_test_database,
    anon,
    fan,
    make_fan,
    pytest_report_header,
    pytest_sessionfinish,
    redis,
    redis_url,
    server,
)
