"""Page analysis against the sandbox's replicas in real Chromium, canary probe included.

One sandbox and one browser for the module; every site is visited once and the tests read
the visits. Hostnames reach the sandbox through Chromium's host-resolver rules only
(loopback-only: anything else does not resolve).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from classifiers.lookalike import canary, pages
from classifiers.lookalike.capture import BrowserSession
from classifiers.lookalike.fingerprint import Fingerprint
from classifiers.lookalike.resolve import StaticResolver
from crawlers.sandbox_map import sandbox_host_map
from sandbox.hosts import LOOKALIKES, OFFICIAL_SITES, OTHER_PORTALS
from sandbox.server import SandboxServer

pytestmark = pytest.mark.browser

OFFICIAL = OFFICIAL_SITES["zlaq"]
SITES = (OFFICIAL, *LOOKALIKES.values(), *OTHER_PORTALS.values(), "nowhere.example.cn")


@dataclass
class Name:
    """A name verdict as the name side hands it over (label, score, imitates, reasons)."""

    domain: str
    label: str = "benign"
    score: float = 0.0
    imitates: str | None = None
    reasons: list[str] = field(default_factory=list)


@dataclass
class World:
    fingerprint: Fingerprint
    visits: dict[str, pages.Visit]
    signals: dict[str, pages.PageSignals]
    mirror_without_probe: pages.PageSignals


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("captures")
    with SandboxServer() as server:
        resolver = StaticResolver(sandbox_host_map(server.address))
        with BrowserSession(resolver.host_map()) as session:
            official = pages.visit(session, OFFICIAL, root / "fingerprint", probe=False)
            fp = pages.fingerprint_visit(official, browser=session.version)
            fps = {fp.domain: fp}
            visits = {site: pages.visit(session, site, root / site) for site in SITES}
            quiet = pages.visit(session, LOOKALIKES["zlaq_mirror"], root / "quiet", probe=False)
    yield World(fp, visits, {s: pages.signals(v, fps) for s, v in visits.items()},
                pages.signals(quiet, fps))


def test_fingerprint_of_the_official_replica(world: World) -> None:
    fp = world.fingerprint
    assert fp.domain == OFFICIAL and "全国工程质量安全监管信息平台" in fp.titles
    assert fp.claims.icp == ("京ICP备05005012号-3",) and len(fp.emblems) == 1
    assert ["cert_number", "id_number"] in fp.forms and len(fp.shingles) > 100


def test_official_says_not_found_to_the_canary(world: World) -> None:
    sig = world.signals[OFFICIAL]
    assert sig.canary == canary.NOT_FOUND and sig.score == 0.0
    verdict = pages.combine(Name(OFFICIAL, "official", 0.0), sig)
    assert verdict.label == "official"


def test_close_copy_with_altered_icp_is_proved_fake(world: World) -> None:
    domain = LOOKALIKES["zlaq_copy"]
    sig = world.signals[domain]
    assert sig.canary == canary.VALID and sig.imitates == OFFICIAL
    assert sig.title_similarity >= 0.95 and sig.text_similarity >= 0.8
    assert sig.emblem and sig.emblem["matched"] and sig.icp["status"] == "altered"
    assert {"page-canary-valid", "page-emblem", "page-icp-altered"} <= set(sig.reasons)
    # Even a name that looks harmless cannot save it.
    verdict = pages.combine(Name(domain), sig)
    assert verdict.label == "lookalike" and verdict.score >= 0.97
    assert verdict.imitates == OFFICIAL


def test_exact_mirror_is_caught_by_the_page_alone(world: World) -> None:
    sig = world.mirror_without_probe  # no canary: similarity, emblem and missing ICP suffice
    assert sig.canary == canary.NO_FORM and sig.imitation
    assert sig.icp["status"] == "missing" and "page-icp-missing" in sig.reasons
    assert pages.combine(Name(LOOKALIKES["zlaq_mirror"]), sig).label == "lookalike"
    probed = world.signals[LOOKALIKES["zlaq_mirror"]]
    assert probed.canary == canary.VALID  # its form POSTs; the probe follows it


def test_lookalike_without_emblem_is_caught_by_the_canary(world: World) -> None:
    domain = LOOKALIKES["zscx"]
    sig = world.signals[domain]
    assert not (sig.emblem and sig.emblem["matched"]) and "page-emblem" not in sig.reasons
    assert sig.title_similarity < 0.6 and not sig.imitation
    assert sig.canary == canary.VALID and sig.form_asks == ["cert_number", "name"]
    assert pages.combine(Name(domain), sig).label == "lookalike"


def test_copy_claiming_the_official_icp_number(world: World) -> None:
    domain = LOOKALIKES["icp_copy"]
    sig = world.signals[domain]
    assert sig.compared_with == OFFICIAL and sig.title_similarity < 0.6
    assert not (sig.emblem and sig.emblem["matched"])
    assert sig.icp["status"] == "same" and "page-icp-official" in sig.reasons
    assert sig.icp["claims"] == sig.icp["official"]  # both numbers, unchanged
    assert sig.canary == canary.VALID
    assert pages.combine(Name(domain), sig).label == "lookalike"
    # The official site's own numbers on the official site are not a signal.
    assert "page-icp-official" not in world.signals[OFFICIAL].reasons


def test_hostile_lookalike(world: World) -> None:
    domain = LOOKALIKES["tzzy"]
    visit, sig = world.visits[domain], world.signals[domain]
    landing = visit.landing
    assert landing.final_url.endswith("/cx/index.html") and len(landing.redirects) >= 3
    assert landing.dialogs and landing.popups and "page-hostile" in sig.reasons
    assert any(url.startswith("http://203.0.113.7/") for url in landing.blocked)  # never sent
    assert visit.query_form and visit.query_form["scripted"]  # the form is built by a script
    assert sig.emblem and sig.emblem["matched"]  # the emblem at 72 px under another name
    assert sig.canary == canary.VALID
    exchange = json.loads(visit.canary.exchange.path.read_text("utf-8"))
    posted = [e for e in exchange["exchanges"] if e["method"] == "POST"]
    assert posted and posted[0]["url"].endswith("/api/verify")
    body = Path(posted[0]["request_body"]["path"]).read_bytes()
    assert visit.canary.canary.cert_number in body.decode("utf-8")
    assert pages.combine(Name(domain), sig).label == "lookalike"


def test_genuine_other_department_and_training_site_are_not_flagged(world: World) -> None:
    gov = world.signals[OTHER_PORTALS["mot"]]
    assert gov.canary == canary.NOT_FOUND and gov.form_asks[:2] == ["cert_number", "id_number"]
    assert gov.emblem and gov.emblem["matched"] and "page-emblem" not in gov.reasons
    assert not gov.imitation and gov.imitates is None
    assert pages.combine(Name(OTHER_PORTALS["mot"]), gov).label == "benign"
    school = world.signals[OTHER_PORTALS["training"]]
    assert school.canary == canary.NO_FORM and school.score == 0.0
    assert not (school.emblem and school.emblem["matched"])
    assert pages.combine(Name(OTHER_PORTALS["training"]), school).label == "benign"


def test_unmapped_host_does_not_resolve(world: World) -> None:
    sig = world.signals["nowhere.example.cn"]
    assert not sig.live and sig.reasons == ["page-unreachable"]
    error = world.visits["nowhere.example.cn"].landing.error
    assert "ERR_BLOCKED_BY_CLIENT" in error or "ERR_NAME_NOT_RESOLVED" in error, error


def test_exchange_is_kept_with_hashes(world: World) -> None:
    visit = world.visits[LOOKALIKES["zlaq_copy"]]
    root = visit.out.root
    for name in ("landing-screenshot.png", "landing-dom.html", "canary-before.png",
                 "canary-after.png", "canary-exchange.json", "capture.json"):
        assert (root / name).is_file(), name
    manifest = json.loads((root / "manifest.json").read_text("utf-8"))["files"]
    for name, info in manifest.items():
        assert hashlib.sha256((root / name).read_bytes()).hexdigest() == info["sha256"]
    check = subprocess.run(["sha256sum", "-c", "manifest.sha256"], cwd=root,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    record = json.loads((root / "capture.json").read_text("utf-8"))
    assert record["environment"]["browser"].startswith("Chromium ")
    assert record["environment"]["host_map"] == "loopback-only"
    assert record["started_at"] <= record["finished_at"]
    exchange = json.loads((root / "canary-exchange.json").read_text("utf-8"))
    assert exchange["outcome"] == "valid" and exchange["submitted_at"] <= exchange["finished_at"]
    document = next(e for e in exchange["exchanges"] if e["resource_type"] == "document")
    answer = Path(document["response_body"]["path"]).read_bytes()
    assert "证书有效" in answer.decode("utf-8")
    assert hashlib.sha256(answer).hexdigest() == document["response_body"]["sha256"]
