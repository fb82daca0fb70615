"""`certwatch hunt` end to end and the `check-domain --fetch` contract, through the real CLI.

Each command starts its own sandbox web (CERTWATCH_SANDBOX=auto) and its own Chromium; the
sandbox resolver maps only the sandbox's hostnames, so permutations never reach DNS.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from certwatch.hunt_cli import SAMPLE_FEED
from store.db import open_store
from store.lookalike_models import LookalikeCandidate, LookalikeCapture, LookalikeVerdict
from store.lookalike_records import latest_capture
from tests.conftest import certwatch

pytestmark = pytest.mark.browser

FAKES = ("zlaq-mohurd.cn", "www.mohurd-zscx.com", "zlaq.mohurd.gov.cn.cxzs.top",
         "www.chinasafety-tzzy.com", "www.zlaq-chaxun.com")
HONEST = ("www.mot.gov.cn", "www.huaxia-jianpei.com")
ENV = {"CERTWATCH_SANDBOX": "auto", "CERTWATCH_RESOLVER": "sandbox"}


@pytest.fixture(scope="module")
def hunted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    home = tmp_path_factory.mktemp("hunt")
    proc = certwatch("hunt", "--feed", str(SAMPLE_FEED), home=home, env=ENV, timeout=600)
    return home, proc.stdout


def test_hunt_proves_the_fakes_and_spares_the_honest(hunted: tuple[Path, str]) -> None:
    _home, out = hunted
    for fake in FAKES:
        assert re.search(rf"^{re.escape(fake)}\s.*称有效\s+仿冒 lookalike", out, re.M), out
    for honest in HONEST:
        assert re.search(rf"^{re.escape(honest)}\s.*正常 benign", out, re.M), out
    assert "官方指纹 fingerprints built: zlaq.mohurd.gov.cn" in out
    assert re.search(rf"在线仿冒 live lookalikes {len(FAKES)}；", out), out


def test_hunt_stores_candidates_captures_and_verdicts(hunted: tuple[Path, str]) -> None:
    home, _out = hunted
    engine = open_store(f"sqlite:///{home / 'certwatch.db'}")
    with Session(engine) as s:
        rows = {c.domain: c for c in s.scalars(select(LookalikeCandidate))}
        # Permutations are recorded as not resolving and never fetched.
        dead = [c for c in rows.values() if c.origin == "permutation"]
        assert dead and all(c.resolves is False for c in dead)
        assert not s.scalar(select(func.count()).select_from(LookalikeCapture)
                            .join(LookalikeCandidate)
                            .where(LookalikeCandidate.resolves.is_(False)))
        assert rows["mohurd-cx.com"].resolves is False  # in the feed, but not live
        for domain in FAKES + HONEST:
            assert rows[domain].resolves is True and rows[domain].addresses == ["127.0.0.1"]
        verdicts = {v.candidate_id: v for v in s.scalars(select(LookalikeVerdict))}
        for domain in FAKES:
            verdict = verdicts[rows[domain].id]
            assert verdict.label == "lookalike" and "page-canary-valid" in verdict.reasons
            assert verdict.page_signals["canary"] == "valid" and verdict.capture_id
        for domain in HONEST:
            assert verdicts[rows[domain].id].label == "benign"
    capture = latest_capture(engine, "zlaq-mohurd.cn")
    assert capture and capture["canary_result"] == "valid"
    assert Path(capture["exchange"]["path"]).is_file()
    assert Path(capture["screenshot"]["path"]).read_bytes().startswith(b"\x89PNG")
    assert any(f["name"] == "canary-after.png" for f in capture["files"])


def test_hunt_without_fetch_opens_no_page(tmp_path: Path) -> None:
    out = certwatch("hunt", "--feed", str(SAMPLE_FEED), "--no-fetch", "--no-listings",
                    "--limit", "25", home=tmp_path, env=ENV, timeout=300).stdout
    # Feed names come before permutations, so the limit keeps the live ones.
    assert re.search(rf"checked 25）.*可解析 resolving {len(FAKES + HONEST)}，已访问 fetched 0",
                     out), out
    engine = open_store(f"sqlite:///{tmp_path / 'certwatch.db'}")
    with Session(engine) as s:
        assert not s.scalar(select(func.count()).select_from(LookalikeCapture))
        reasons = [v.reasons for v in s.scalars(select(LookalikeVerdict))]
        assert reasons and all("page-not-fetched" in r for r in reasons)


def test_hunt_rejects_a_missing_feed(tmp_path: Path) -> None:
    proc = certwatch("hunt", "--feed", str(tmp_path / "nope.txt"), home=tmp_path, env=ENV,
                     check=False)
    assert proc.returncode == 2 and "no such file" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_check_domain_fetch_contract(tmp_path: Path) -> None:
    proc = certwatch("check-domain", "--fetch", "zlaq-mohurd.cn", "bad..name", "www.mot.gov.cn",
                     "mohurd-cx.com", "mоhurd-cx.com", "xn--mhurd-cx-nbh.com", home=tmp_path,
                     env=ENV, check=False, timeout=300)
    assert proc.returncode == 2, proc.stderr  # one invalid name
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    # Input order, error line included (the README's contract).
    assert [r["domain"] for r in lines] == ["zlaq-mohurd.cn", "bad..name", "www.mot.gov.cn",
                                            "mohurd-cx.com", "mоhurd-cx.com", "mоhurd-cx.com"]
    assert lines[1] == {"domain": "bad..name", "error": lines[1]["error"]}
    results = {r["domain"]: r for r in lines if "error" not in r}
    for result in results.values():
        assert {"domain", "label", "score", "imitates", "reasons"} <= set(result)
        assert isinstance(result["reasons"], list) and 0 <= result["score"] <= 1
    fake = results["zlaq-mohurd.cn"]
    assert fake["label"] == "lookalike" and fake["imitates"] == "zlaq.mohurd.gov.cn"
    assert "page-canary-valid" in fake["reasons"] and fake["page"]["canary"] == "valid"
    assert results["www.mot.gov.cn"]["label"] == "benign"
    assert "page-not-resolving" in results["mohurd-cx.com"]["reasons"]
    engine = open_store(f"sqlite:///{tmp_path / 'certwatch.db'}")
    assert latest_capture(engine, "zlaq-mohurd.cn")["canary_result"] == "valid"
    # An IDN is resolved and stored as punycode, as `hunt` does: one row for both spellings.
    assert "page-not-resolving" in results["mоhurd-cx.com"]["reasons"]
    with Session(engine) as s:
        stored = set(s.scalars(select(LookalikeCandidate.domain)))
    assert stored == {"zlaq-mohurd.cn", "www.mot.gov.cn", "mohurd-cx.com",
                      "xn--mhurd-cx-nbh.com"}


def test_hunt_takes_several_feeds_after_one_flag(tmp_path: Path) -> None:
    feeds = []
    for n, name in enumerate(("zlaq-mohurd.cn", "www.mot.gov.cn", "tzzy-chaxun.top")):
        feeds.append(tmp_path / f"feed{n}.txt")
        feeds[-1].write_text(name + "\n", "utf-8")
    proc = certwatch("hunt", "--feed", str(feeds[0]), str(feeds[1]), "--feed", str(feeds[2]),
                     "--no-fetch", "--no-listings", "--limit", "3", home=tmp_path, env=ENV,
                     timeout=300)
    assert "3 feed(s)" in proc.stderr
    engine = open_store(f"sqlite:///{tmp_path / 'certwatch.db'}")
    with Session(engine) as s:
        rows = {c.domain: c.origin_detail for c in s.scalars(select(LookalikeCandidate))}
    assert rows == {"zlaq-mohurd.cn": f"{feeds[0]}:1", "www.mot.gov.cn": f"{feeds[1]}:1",
                    "tzzy-chaxun.top": f"{feeds[2]}:1"}


def test_resolver_choices_fail_clearly(tmp_path: Path) -> None:
    feed = tmp_path / "feed.txt"
    feed.write_text("zlaq-mohurd.cn\n", "utf-8")
    off = certwatch("hunt", "--feed", str(feed), "--resolver", "sandbox", home=tmp_path,
                    env={"CERTWATCH_SANDBOX": "off"}, check=False)
    assert off.returncode == 2 and "CERTWATCH_SANDBOX=off" in off.stderr
    bogus = certwatch("hunt", "--feed", str(feed), home=tmp_path,
                      env={"CERTWATCH_RESOLVER": "bogus"}, check=False)
    assert bogus.returncode == 2 and "CERTWATCH_RESOLVER='bogus'" in bogus.stderr
    for proc in (off, bogus):
        assert "Traceback" not in proc.stderr and proc.stderr.count("error:") == 1
