"""Audit-log writers from several threads at once, on real SQLite and PostgreSQL: bulk
decisions (one entry per item in one transaction) and single entries all commit, and the
chain still verifies."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from review import audit
from review.decisions import Decision, decide
from review.users import CurrentUser
from store.db import open_store
from store.models import Listing
from tests.review_helpers import seed

THREADS = 4
ROUNDS = 3
JOIN_SECONDS = 60  # a deadlock fails the test instead of hanging it


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres",
                                                               marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    home: Path = tmp_path_factory.mktemp(f"audit-{request.param}")
    url = (f"sqlite:///{home / 'c.db'}" if request.param == "sqlite"
           else request.getfixturevalue("postgres_url"))
    engine = open_store(url)
    seed(engine, home / "bodies")
    yield engine
    engine.dispose()


def test_concurrent_bulk_decisions_and_entries_all_commit(engine) -> None:  # noqa: ANN001
    with Session(engine) as session:
        ids = list(session.scalars(select(Listing.id).order_by(Listing.id)))
    boss = CurrentUser(id=1, name="sam", role="supervisor", csrf_token="", session_id=1)
    start, errors = threading.Barrier(THREADS), []

    def work(n: int) -> None:
        try:
            start.wait()
            for round_ in range(ROUNDS):
                with Session(engine) as session:
                    if n % 2:
                        action = ("needs_info", "escalate", "dismiss")[round_ % 3]
                        decide(session, boss, "listing", ids, Decision(action=action),
                               client=f"10.0.0.{n}")
                    else:
                        audit.append(session, actor="sam", action="export.summary",
                                     object_kind="summary", object_id=f"{n}-{round_}")
                    session.commit()
        except Exception as exc:  # reported below with the thread's number
            errors.append((n, repr(exc)[:3000]))

    threads = [threading.Thread(target=work, args=(n,), daemon=True) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(JOIN_SECONDS)
    assert not any(t.is_alive() for t in threads), "audit writers deadlocked"
    assert errors == []
    result = audit.verify(engine)
    bulk_entries = (THREADS // 2) * ROUNDS * len(ids)
    assert result.ok and result.entries == bulk_entries + (THREADS - THREADS // 2) * ROUNDS
