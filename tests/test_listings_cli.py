"""`certwatch listings` as a table: each row's label and risk score columns, over a real
SQLite store under CERTWATCH_HOME whose listings the installed classifier scored as stored."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from store.bodies import BodyStore
from store.db import open_store
from store.recorder import ListingData, RunRecorder
from tests.conftest import certwatch, listings_jsonl
from tests.review_helpers import NIGHT2, seed

ROW = re.compile(r"^ *(?P<id>\d+)  (?P<source>\S+) +(?P<label>\S+) +(?P<score>\d\.\d\d|-)  "
                 r"(?P<state>live|removed) +(?P<seen>\S+)  (?P<title>.*)$")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("listings")
    engine = open_store(f"sqlite:///{home / 'certwatch.db'}")
    seed(engine, home / "bodies")  # two nights of two sources, scored by the real model
    # Stored with no scorer (as when no model was installed): the table says so.
    rec = RunRecorder(engine, BodyStore(home / "bodies"), "notes", batch="unscored")
    rec.start()
    rec.add_listing(ListingData(key="u1", url="http://notes.example.cn/u1", title="未评分的帖子",
                                text="随便说说", seen_at=NIGHT2))
    rec.finish(status="finished", close_reason="finished", complete=True, stats={})
    engine.dispose()
    return home


def table(home: Path, *args: str) -> tuple[list[dict[str, str]], subprocess.CompletedProcess]:
    proc = certwatch("listings", *args, home=home)
    rows = []
    for line in proc.stdout.splitlines():
        match = ROW.match(line)
        assert match, f"not a table row: {line!r}"
        rows.append(match.groupdict())
    return rows, proc


def test_table_shows_each_listings_label_and_score(home: Path) -> None:
    stored = {str(row["id"]): row for row in listings_jsonl(home)}
    rows, proc = table(home)
    assert [r["id"] for r in rows] == sorted(stored, key=int)
    assert proc.stderr.strip() == f"{len(rows)} listing(s)"
    for row in rows:
        want = stored[row["id"]]
        assert row["source"] == want["source"]
        if want["label"] is None:
            assert (row["label"], row["score"]) == ("unscored", "-")
        else:
            assert row["label"] == want["label"] and row["score"] == f"{want['score']:.2f}"
        assert want["title"].startswith(row["title"].rstrip("…"))
    labels = {r["label"] for r in rows}
    assert "benign" in labels and "unscored" in labels and labels - {"benign", "unscored"}
    fraud = next(r for r in rows if r["title"].startswith("北京二建市政挂证"))
    assert fraud["label"] == "guazheng" and float(fraud["score"]) >= 0.5


def test_table_sorted_and_filtered_by_score_and_label(home: Path) -> None:
    stored = listings_jsonl(home)
    rows, _ = table(home, "--sort", "score")
    scores = [float(r["score"]) for r in rows if r["score"] != "-"]
    assert scores == sorted(scores, reverse=True) and len(scores) == len(rows) - 1
    rows, proc = table(home, "--label", "guazheng", "--min-score", "0.5")
    want = sorted(str(r["id"]) for r in stored
                  if r["label"] == "guazheng" and r["score"] >= 0.5)
    assert want and sorted(r["id"] for r in rows) == want
    assert all(r["label"] == "guazheng" and float(r["score"]) >= 0.5 for r in rows)
    assert proc.stderr.strip() == f"{len(want)} listing(s)"
