"""`certwatch listings` as a table: each row's label and risk score columns, over a real
SQLite store under CERTWATCH_HOME whose listings the installed classifier scored as stored."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from store.bodies import BodyStore
from store.db import open_store
from store.recorder import ListingData, RunRecorder
from tests.conftest import REPO, certwatch, listings_jsonl
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


def certwatch_argv() -> list[str]:
    return [sys.executable, "-m", "certwatch.cli"]


def cli_env(home: Path) -> dict[str, str]:
    env = {**os.environ, "CERTWATCH_HOME": str(home)}
    env.pop("CERTWATCH_DB_URL", None)
    return env


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


HOSTILE = "挂证\x1b]0;owned\x07\x1b[2J\x9b31m\u202e反转\u2066 满100%_送"


def test_hostile_titles_are_inert_on_a_terminal_and_search_is_literal(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'certwatch.db'}")
    rec = RunRecorder(engine, BodyStore(tmp_path / "bodies"), "forum", batch="hostile")
    rec.start()
    for key, title in (("h1", HOSTILE), ("h2", "满100元加送")):
        rec.add_listing(ListingData(key=key, url=f"http://bbs.example.cn/{key}", title=title,
                                    text="正文", seen_at=NIGHT2))
    rec.finish(status="finished", close_reason="finished", complete=True, stats={})
    engine.dispose()

    raw = subprocess.run(
        [*certwatch_argv(), "listings"], env=cli_env(tmp_path), cwd=REPO, capture_output=True,
        check=True).stdout
    for escape in (b"\x1b", b"\x07", "\x9b".encode(), "\u202e".encode(), "\u2066".encode()):
        assert escape not in raw
    rows, _ = table(tmp_path)
    hostile = next(r for r in rows if r["title"].startswith("挂证"))
    assert "\ufffd" in hostile["title"] and "反转" in hostile["title"]

    jsonl = subprocess.run(
        [*certwatch_argv(), "listings", "--format", "jsonl"], env=cli_env(tmp_path),
        capture_output=True, check=True).stdout
    assert b"\x1b" not in jsonl and "\x9b".encode() not in jsonl
    assert "\u202e".encode() not in jsonl
    titles = {json.loads(line)["title"] for line in jsonl.decode("utf-8").splitlines()}
    assert HOSTILE in titles  # escaped on the way out, not altered

    # `%` and `_` in a search are the characters themselves, not LIKE wildcards.
    found = [r["title"] for r in listings_jsonl(tmp_path, "--search", "100%_")]
    assert found == [HOSTILE]
