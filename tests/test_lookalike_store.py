"""Lookalike candidates, captures and verdicts on real SQLite and real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.orm import Session

from classifiers.lookalike.capture import CaptureDir
from store.clock import as_utc
from store.db import make_engine, open_store, upgrade
from store.lookalike_models import LookalikeCandidate, LookalikeCapture, LookalikeVerdict
from store.lookalike_records import (
    CandidateSeen,
    add_capture,
    add_verdict,
    latest_capture,
    upsert_candidates,
)

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
TABLES = ("lookalike_verdicts", "lookalike_captures", "lookalike_candidates")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    if request.param == "sqlite":
        return open_store(f"sqlite:///{tmp_path / 'c.db'}")
    eng = open_store(request.getfixturevalue("postgres_url"))
    with eng.begin() as conn:
        for table in TABLES:
            conn.exec_driver_sql(f"DELETE FROM {table}")
    return eng


def seen(domain: str, label: str = "lookalike", resolves: bool | None = True,
         origin: str = "feed") -> CandidateSeen:
    return CandidateSeen(domain, origin, "feed.txt:1", label, 0.9, "zlaq.mohurd.gov.cn",
                         ["brand:mohurd"], resolves, ["127.0.0.1"] if resolves else [])


def capture_files(root: Path, marker: str) -> dict:
    out = CaptureDir(root)
    shot = out.write("landing-screenshot.png", f"png {marker}".encode())
    dom = out.write("landing-dom.html", f"<html>{marker}</html>".encode())
    exchange = out.write_json("canary-exchange.json", {"outcome": "valid"})
    manifest = out.seal()
    return {"captured_at": T0, "url": "http://zlaq-mohurd.cn/", "final_url":
            "http://zlaq-mohurd.cn/", "status": 200, "title": "全国工程质量安全监管信息平台",
            "directory": str(root), "screenshot_path": str(shot.path),
            "screenshot_sha256": shot.sha256, "dom_path": str(dom.path),
            "dom_sha256": dom.sha256, "manifest_path": str(manifest.path),
            "manifest_sha256": manifest.sha256, "forms": [{"asks": ["cert_number"]}],
            "canary_result": "valid", "canary_number": "京建安C(1999)0000417",
            "exchange_path": str(exchange.path), "exchange_sha256": exchange.sha256}


def test_candidates_keep_first_origin_and_refresh_the_rest(engine: Engine) -> None:
    ids = upsert_candidates(engine, [seen("zlaq-mohurd.cn"), seen("mohurd-cx.com",
                                                                resolves=False)], T0)
    later = T0 + timedelta(days=1)
    again = upsert_candidates(engine, [seen("zlaq-mohurd.cn", origin="listing", label="benign"),
                                       seen("new.example.cn", label="benign", resolves=None)],
                              later)
    assert again["zlaq-mohurd.cn"] == ids["zlaq-mohurd.cn"]
    with Session(engine) as s:
        row = s.scalar(select(LookalikeCandidate).where(LookalikeCandidate.domain
                                                        == "zlaq-mohurd.cn"))
        assert row.origin == "feed" and row.name_label == "benign"
        assert as_utc(row.first_seen) == T0 and as_utc(row.last_seen) == later
        dead = s.scalar(select(LookalikeCandidate).where(LookalikeCandidate.domain
                                                         == "mohurd-cx.com"))
        assert dead.resolves is False and dead.addresses == []
        assert s.scalar(select(func.count()).select_from(LookalikeCandidate)) == 3


def test_a_name_seen_in_the_wild_replaces_a_permutation_origin(engine: Engine) -> None:
    ids = upsert_candidates(engine, [seen("mohurd-zscx.com", origin="permutation")], T0)
    upsert_candidates(engine, [seen("mohurd-zscx.com", origin="feed")], T0 + timedelta(days=1))
    # Once from the wild, a later permutation run does not take the origin back.
    upsert_candidates(engine, [seen("mohurd-zscx.com", origin="permutation")],
                      T0 + timedelta(days=2))
    with Session(engine) as s:
        row = s.get(LookalikeCandidate, ids["mohurd-zscx.com"])
        assert (row.origin, row.origin_detail) == ("feed", "feed.txt:1")


def test_latest_capture_returns_newest_files_with_hashes(engine: Engine, tmp_path: Path) -> None:
    cid = upsert_candidates(engine, [seen("zlaq-mohurd.cn")], T0)["zlaq-mohurd.cn"]
    assert latest_capture(engine, "zlaq-mohurd.cn") is None
    old = capture_files(tmp_path / "old", "old")
    add_capture(engine, cid, old)
    new = {**capture_files(tmp_path / "new", "new"), "captured_at": T0 + timedelta(hours=1)}
    capture_id = add_capture(engine, cid, new)
    add_verdict(engine, cid, capture_id, T0, {"label": "lookalike", "score": 0.99,
                                              "imitates": "zlaq.mohurd.gov.cn",
                                              "reasons": ["page-canary-valid"],
                                              "page": {"canary": "valid"}})
    found = latest_capture(engine, "ZLAQ-MOHURD.CN.")
    assert found is not None and found["directory"] == str(tmp_path / "new")
    assert found["screenshot"]["sha256"] == new["screenshot_sha256"]
    assert found["exchange"]["path"].endswith("canary-exchange.json")
    assert found["captured_at"] == "2026-12-01T03:00:00Z" and found["canary_result"] == "valid"
    names = {f["name"] for f in found["files"]}
    assert {"landing-screenshot.png", "landing-dom.html", "canary-exchange.json",
            "manifest.sha256"} <= names
    with Session(engine) as s:
        verdict = s.scalar(select(LookalikeVerdict))
        assert verdict.page_signals == {"canary": "valid"} and verdict.capture_id == capture_id
        assert s.scalar(select(func.count()).select_from(LookalikeCapture)) == 2


def test_migration_goes_down_and_up(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(engine, "heads")
    assert set(TABLES) <= set(inspect(engine).get_table_names())
    from alembic import command

    from store.db import _alembic_config

    command.downgrade(_alembic_config(engine), "0003_lookalikes@-1")
    assert not set(TABLES) & set(inspect(engine).get_table_names())
    upgrade(engine, "heads")
    assert set(TABLES) <= set(inspect(engine).get_table_names())
