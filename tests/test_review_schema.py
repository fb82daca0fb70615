"""Schemathesis against the review app's OpenAPI schema: no input makes the server fail.

Runs as a logged-in supervisor (cookie + CSRF header) so generated requests reach the
handlers, not just the login redirect; a bounded number of examples per operation.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings

from review.app import create_app
from review.settings import ReviewSettings
from store.db import open_store
from tests.review_helpers import SECRET, add_users, login, seed

AUTH: dict[str, str] = {}
EXAMPLES = 30
SEEN: list = []


@pytest.fixture(scope="module")
def review_app(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    home: Path = tmp_path_factory.mktemp("review-schema")
    engine = open_store(f"sqlite:///{home / 'c.db'}")
    seed(engine, home / "bodies")
    add_users(engine)
    app = create_app(engine, ReviewSettings(secret=SECRET, login_max_failures=10_000),
                     home=home, background=False)
    with TestClient(app) as client:
        csrf = login(client, "sam")
        AUTH.update({"cookie": f"cw_session={client.cookies['cw_session']}",
                     "x-csrf-token": csrf})
    return app


@pytest.fixture(scope="module")
def api_schema(review_app):  # noqa: ANN001, ANN201
    # The schema is served to logged-in supervisors only.
    return schemathesis.openapi.from_asgi("/openapi.json", review_app, headers=dict(AUTH))


def test_no_server_errors(api_schema) -> None:  # noqa: ANN001
    # Logging out ends the session the other operations run in: keep it for last.
    operations = sorted((result.ok() for result in api_schema.get_all_operations()),
                        key=lambda op: op.path == "/logout")
    assert {op.path for op in operations} >= {"/queue", "/decisions", "/login",
                                                "/summary/export", "/listings/{listing_id}"}
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case) -> None:  # noqa: ANN001
            response = case.call(headers=dict(AUTH), allow_redirects=False)
            SEEN.append((case.method, case.path, response.status_code))
            assert response.status_code < 500, (case.method, case.path, response.text[:500])

        run()
    # The session held: generated requests reached the handlers, not the login redirect.
    reached = {(path, status) for _method, path, status in SEEN}
    assert ("/queue", 200) in reached and ("/audit", 200) in reached
