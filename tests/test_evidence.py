"""Evidence packets end to end: a real crawl, a real local TSA (`openssl ts`), real Chromium
for the cover, and the public tools of VERIFY.txt run verbatim. One packet is built per
module; tampering works on copies of it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session
from warcio.archiveiterator import ArchiveIterator

from reports.evidence import custody, layout, signing, verify_text
from reports.evidence.agency import for_case
from reports.evidence.ids import parse_id
from reports.evidence.verify import UNCHECKED_SIGNER, verify_members, verify_packet
from review.decisions import Decision, decide
from review.users import CurrentUser
from tests.conftest import PG_ADMIN_URL, certwatch, listings_jsonl
from tests.ip_echo import ip_echo
from tests.tsa import LocalTSA

pytestmark = pytest.mark.browser
VENV_BIN = str(Path(sys.executable).parent)
CASE = "沙箱挂证案 2026-001"


def tool_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '')}", **extra}


@pytest.fixture(scope="module")
def tsa(tmp_path_factory: pytest.TempPathFactory):
    authority = LocalTSA(tmp_path_factory.mktemp("tsa"))
    url = authority.start()
    yield authority, url
    authority.stop()


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict]]:
    home = tmp_path_factory.mktemp("evidence-home")
    # zhipin: plain HTTP pages; xianyu: rendered by Chromium (screenshot and DOM captured);
    # tieba: the sandbox's forum, where some sellers post the phone numbers of xianyu ads.
    with ip_echo(b"203.0.113.7\n") as (url, _hits):  # the crawl's public address, looked up
        certwatch("crawl", "--source", "zhipin", "--source", "xianyu", "--source", "tieba",
                  "--night", "1", "--quiet", home=home,
                  env={"CERTWATCH_OPERATOR": "张三", "CERTWATCH_EXIT_IP_URL": url})
    rows = listings_jsonl(home, "--sort", "score")
    engine = create_engine(f"sqlite:///{home / 'certwatch.db'}")
    picks: dict[str, dict] = {}
    # The strongest zhipin ad of each fraud class that names its certificate: the packet's
    # findings and the receiving agency (住建 for a registered-engineer 挂证) depend on it.
    for label in ("guazheng", "exam_fraud", "fake_cert"):
        picks[label] = next(r for r in rows if r["label"] == label and r["source"] == "zhipin"
                            and r["attributes"].get("certificates"))
    # The browser page's ad is one whose contact also appears on another site.
    linked = cross_source_listings(engine)
    picks["browser"] = next(r for r in rows if r["source"] == "xianyu"
                            and r["label"] == "exam_fraud" and r["id"] in linked)
    # An analyst's decision, made through the review UI's own code path.
    analyst = CurrentUser(id=1, name="李四", role="analyst", csrf_token="", session_id=0)
    with Session(engine) as session, session.begin():
        decide(session, analyst, "listing", [picks["guazheng"]["id"]],
               Decision("confirm", "guazheng", "联系方式与另一挂证广告一致"))
    engine.dispose()
    return home, picks


def cross_source_listings(engine) -> set[int]:
    """Listings sharing a contact key with a listing of another source."""
    from sqlalchemy import select
    from sqlalchemy.orm import aliased

    from store.models import Listing, ListingContact

    mine, other = aliased(ListingContact), aliased(ListingContact)
    here, there = aliased(Listing), aliased(Listing)
    with Session(engine) as session:
        return set(session.scalars(
            select(mine.listing_id)
            .join(other, (other.contact_id == mine.contact_id)
                  & (other.listing_id != mine.listing_id))
            .join(here, here.id == mine.listing_id).join(there, there.id == other.listing_id)
            .where(here.source_id != there.source_id)))


@pytest.fixture(scope="module")
def env(tsa) -> dict[str, str]:
    authority, url = tsa
    return {"CERTWATCH_TSA_URL": url, "CERTWATCH_TSA_CA": str(authority.ca_pem)}


@pytest.fixture(scope="module")
def packet(crawled, env, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home, picks = crawled
    out = tmp_path_factory.mktemp("out")
    ids = [str(picks["guazheng"]["id"]), f"listing:{picks['exam_fraud']['id']}",
           str(picks["fake_cert"]["id"]), str(picks["browser"]["id"])]
    proc = certwatch("evidence", "export", *ids, "--out", str(out), "--case", CASE,
                     "--operator", "张三", home=home, env=env)
    path = Path(proc.stdout.strip().splitlines()[-1])
    assert path.parent == out and path.suffix == ".wacz"
    assert sorted(p.name for p in out.iterdir()) == [path.name]  # no temp files left
    return path


@pytest.fixture(scope="module")
def unpacked(packet: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("unpacked")
    subprocess.run(["unzip", "-q", str(packet)], cwd=where, check=True)
    return where


def run(cmd: list[str] | str, cwd: Path, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=tool_env(),
                          shell=isinstance(cmd, str), executable="/bin/bash" if
                          isinstance(cmd, str) else None, timeout=300, **kw)


# -- the public tools ---------------------------------------------------------------------
def test_wacz_validate_passes(packet: Path) -> None:
    proc = run([f"{VENV_BIN}/wacz", "validate", "-f", str(packet)], packet.parent)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Validation succeeded" in proc.stdout


def test_warcio_check_passes_on_every_warc(unpacked: Path) -> None:
    warcs = sorted((unpacked / "archive").glob("*.warc.gz"))
    assert warcs
    for warc in warcs:
        proc = run([f"{VENV_BIN}/warcio", "check", "-v", str(warc)], unpacked)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "digest pass" in proc.stdout and "fail" not in proc.stdout
    ids = set()
    for warc in warcs:
        with warc.open("rb") as fh:
            ids |= {r.rec_headers.get_header("WARC-Record-ID") for r in ArchiveIterator(fh)}
    capture = json.loads((unpacked / layout.CAPTURE_JSON).read_text())
    for item in capture["items"]:
        own = item["packet_files"]["warc_records"]
        assert own and set(own) <= ids, item["id"]


def test_sha256sum_accepts_the_manifest(unpacked: Path) -> None:
    proc = run(["sha256sum", "-c", "--strict", layout.MANIFEST], unpacked)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    listed = proc.stdout.count(": OK")
    manifest = json.loads((unpacked / layout.MANIFEST_JSON).read_text())
    assert listed == len(manifest["files"]) + 1  # every file, plus manifest.json itself
    kinds = {f["kind_zh"] for f in manifest["files"]}
    assert {"网页原始数据（WARC）", "提取文本", "分析结果", "笔录与环境记录"} <= kinds
    assert all({"name", "kind", "format", "size", "sha256"} <= set(f) for f in manifest["files"])


def test_openssl_checks_signature_and_timestamp(unpacked: Path, tsa) -> None:
    authority, _ = tsa
    sig = run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", layout.PUBLIC_KEY, "-rawin",
               "-in", layout.MANIFEST, "-sigfile", layout.SIGNATURE], unpacked)
    assert sig.returncode == 0 and "Signature Verified Successfully" in sig.stdout, sig.stderr
    ts = run(["openssl", "ts", "-verify", "-in", layout.TIMESTAMP, "-data", layout.MANIFEST,
              "-CAfile", str(authority.ca_pem)], unpacked)
    assert ts.returncode == 0 and "Verification: OK" in ts.stdout, ts.stdout + ts.stderr
    assert authority.requests >= 1
    # ... and it fails for other data: the token is bound to this manifest.
    (unpacked.parent / "other").write_bytes(b"not the manifest\n")
    bad = run(["openssl", "ts", "-verify", "-in", layout.TIMESTAMP, "-data",
               str(unpacked.parent / "other"), "-CAfile", str(authority.ca_pem)], unpacked)
    assert bad.returncode != 0


def run_verify_txt(packet: Path, where: Path, tsa) -> list[subprocess.CompletedProcess[str]]:
    """Every command of the packet's VERIFY.txt, verbatim, from a fresh directory."""
    with zipfile.ZipFile(packet) as zf:
        text = zf.read(layout.VERIFY_TXT).decode("utf-8")
    where.mkdir()
    return [subprocess.run(command, shell=True, executable="/bin/bash", cwd=where,
                           capture_output=True, text=True, timeout=300,
                           env=tool_env(PACKET=str(packet), TSA_CA=str(tsa[0].ca_pem)))
            for command in verify_text.commands(text)]


def rechain(entries: list[dict], key=None) -> list[dict]:
    """A forger's custody log: hashes and links recomputed, optionally re-signed."""
    import base64

    prev = None
    for entry in entries:
        entry["prev"] = prev
        if key is not None:
            entry["signer_key"] = signing.public_pem(key).decode("ascii")
        entry["hash"] = prev = custody.entry_hash(entry)
        if key is not None:
            entry["sig"] = base64.b64encode(signing.sign(key, prev.encode("ascii"))).decode()
    return entries


def test_every_verify_txt_command_passes_verbatim(packet: Path, tmp_path: Path, tsa) -> None:
    runs = run_verify_txt(packet, tmp_path / "intact", tsa)
    commands = [proc.args for proc in runs]
    assert any(c.startswith("openssl ts -verify") for c in commands)
    assert any("warcio check -v" in c for c in commands)
    assert any(c.startswith("jq ") or "<(jq" in c for c in commands)
    for proc in runs:
        assert proc.returncode == 0, f"{proc.args}\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    table = next(p for p in runs if p.args.startswith("paste "))
    fingerprint = signing.fingerprint(members_of(packet)[layout.PUBLIC_KEY])
    assert table.stdout == f"1\texport\t张三\t{fingerprint}\n"


def test_verify_txt_commands_fail_on_forgeries_with_regenerated_metadata(
        packet: Path, tmp_path: Path, tsa) -> None:
    """Forgeries that leave every hash, the chain and datapackage.json consistent (so `wacz
    validate -f` passes): one public command of VERIFY.txt must still fail on each."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    def forged_custody(key=None):
        def change(m: dict[str, bytes]) -> dict[str, bytes]:
            entries = custody.parse_log(m[layout.CUSTODY])[0]
            entries[0]["who"] = "伪造者"
            m = {**m, layout.CUSTODY: custody.serialise(rechain(entries, key))}
            return regenerate(m)
        return change

    def added(m: dict[str, bytes]) -> dict[str, bytes]:
        return regenerate({**m, "screenshots/extra.png": b"\x89PNG\r\n\x1a\nextra"})

    cases = {"custody-who": (forged_custody(), "custody signatures OK"),
             "custody-resigned": (forged_custody(Ed25519PrivateKey.generate()),
                                  "custody signers OK"),
             "added-member": (added, "members OK")}
    real = signing.fingerprint(members_of(packet)[layout.PUBLIC_KEY])
    for name, (change, failing) in cases.items():
        copy = tmp_path / f"{name}.wacz"
        rewrite(packet, copy, change)
        runs = run_verify_txt(copy, tmp_path / name, tsa)
        failed = [p.args for p in runs if p.returncode != 0]
        assert len(failed) == 1 and failing in failed[0], (name, failed)
        assert certwatch("evidence", "verify", str(copy), "--key-fingerprint", real,
                         home=tmp_path / "no-home", check=False).returncode == 1


# -- contents --------------------------------------------------------------------------------
def test_packet_holds_records_findings_and_custody(unpacked: Path, crawled) -> None:
    _home, picks = crawled
    capture = json.loads((unpacked / layout.CAPTURE_JSON).read_text())
    assert capture["case"] == CASE and capture["operators"][-1] == "张三"
    assert capture["capture"]["start_utc"].endswith("Z")
    assert capture["capture"]["start_shanghai"].endswith("+08:00")
    assert capture["capture"]["hosts"]
    # The exit address is the one the crawl looked up (CERTWATCH_EXIT_IP_URL), with where
    # from; the export host's own address is labelled as what it is.
    assert capture["capture"]["exit_ip"] == "203.0.113.7"
    assert capture["capture"]["exit_ip_basis"].startswith("抓取开始时向 http://127.0.0.1:")
    assert capture["export"]["local_ip_basis"].startswith("导出主机本地地址")
    assert {t["name"] for t in capture["tools"]} >= {"certwatch", "scrapy", "warcio"}
    first = capture["items"][0]
    assert first["url"] == picks["guazheng"]["url"] and first["click_path"]
    assert first["pages"][0]["body_sha256"]
    text = (unpacked / layout.CAPTURE_TXT).read_text()
    assert "网络在线提取笔录" in text and "北京时间" in text and "操作过程" in text
    assert "导出主机本地地址" in text
    environment = json.loads((unpacked / layout.ENVIRONMENT_JSON).read_text())
    assert environment["browser"]["build"].startswith("Chromium")
    assert environment["cover_printer"]["build"].startswith("Chromium")
    assert environment["user_agent"] and len(environment["browser_contexts"]) == 2
    # Tool versions say when they applied: the crawl's from its warcinfo, the rest export's.
    assert {t["stage"] for t in capture["tools"]} == {"抓取时", "导出时"}
    crawl_tools = {t["name"]: t["version"] for t in capture["tools"] if t["stage"] == "抓取时"}
    assert crawl_tools["scrapy"] == environment["crawl_time"][0]["scrapy"]
    assert crawl_tools["浏览器"] == environment["browser"]["build"]
    assert "取证环境记录" in (unpacked / layout.ENVIRONMENT_TXT).read_text()
    slug = f"listing-{picks['guazheng']['id']}"
    findings = json.loads((unpacked / "findings" / f"{slug}.json").read_text())
    assert findings["classifier"]["label"] == "guazheng"
    assert findings["classifier"]["reasons"] and findings["classifier"]["model_version"]
    assert findings["attributes"]["certificates"]
    [review] = findings["reviews"]
    assert (review["label"], review["analyst"], review["note"]) == (
        "guazheng", "李四", "联系方式与另一挂证广告一致")
    assert findings["review_case"]["status"] == "confirmed"
    assert findings["review_case"]["category"] == "guazheng"
    [audit] = findings["review_audit"]
    assert audit["action"] == "decision.confirm" and audit["actor"] == "李四"
    assert audit["after"]["status"] == "confirmed" and len(audit["hash"]) == 64
    assert all("linked_listings" in c for c in findings["contacts"])
    assert picks["guazheng"]["title"] in (unpacked / "text" / f"{slug}.txt").read_text()
    pages = (unpacked / layout.PAGES).read_text().splitlines()
    assert json.loads(pages[0])["format"] == "json-pages-1.0" and len(pages) == 5
    entries, problem = custody.parse_log((unpacked / layout.CUSTODY).read_bytes())
    assert problem is None and len(entries) == 1
    assert entries[0]["action"] == "export" and entries[0]["who"] == "张三"
    # Crawl-time capture: the environment from the WARCs' warcinfo, the server IP of each
    # response, and for the browser page its stamped screenshot and rendered DOM.
    environment = json.loads((unpacked / layout.ENVIRONMENT_JSON).read_text())
    assert environment["crawl_time"] and environment["crawl_time"][0]["operator"] == "张三"
    http = next(i for i in capture["items"] if i["id"] == f"listing:{picks['guazheng']['id']}")
    assert http["linked_data"]["resolved_ips"] == ["127.0.0.1"]
    assert {"request", "response"} <= {w["type"] for w in http["warc_records"]}
    browser = next(i for i in capture["items"] if i["id"] == f"listing:{picks['browser']['id']}")
    shots, doms = browser["packet_files"]["screenshots"], browser["packet_files"]["dom"]
    assert shots and doms
    assert (unpacked / shots[0]).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert picks["browser"]["title"] in (unpacked / doms[0]).read_text("utf-8")
    # The same phone number on the forum: the contact links the two sites' ads.
    findings = json.loads((unpacked / "findings" / f"listing-{picks['browser']['id']}.json")
                          .read_text())
    linked = [other for c in findings["contacts"] for other in c["linked_listings"]]
    assert any(other["source"] == "tieba" for other in linked), findings["contacts"]
    assert any(c["linked_listings"] for c in browser["linked_data"]["contacts"])
    # xianyu has no detail section: only the list page was opened, and the record says so.
    steps = browser["click_path"]
    list_page = browser["pages"][0]["final_url"] or browser["pages"][0]["url"]
    assert not any("进入详情页" in step for step in steps), steps
    assert f"记录该条信息所在的列表页 {list_page}" in steps
    assert steps[-1] == f"该条信息的链接 {browser['url']} 仅作标识记录，未打开"
    assert any("进入详情页" in step for step in http["click_path"])
    # The browser settings in the environment record are what the page's request carried.
    sent = page_request_headers(unpacked, browser)
    context = next(c for c in environment["browser_contexts"] if "playwright" in c["used_for"])
    assert context["user_agent"] == sent.get_header("User-Agent"), context
    assert f"Accept-Language: {sent.get_header('Accept-Language')}" in context["locale"]
    width = int.from_bytes((unpacked / shots[0]).read_bytes()[16:20], "big")
    assert context["viewport"] == f"{width}×720", context
    assert context["browser_build"] == environment["browser"]["build"]
    assert context["basis"].startswith("抓取时记录")
    plain = next(c for c in environment["browser_contexts"] if c["used_for"].startswith("HTTP"))
    assert plain["user_agent"] == page_request_headers(unpacked, http).get_header("User-Agent")
    assert entries[0]["after"][layout.MANIFEST] == layout.sha256(
        (unpacked / layout.MANIFEST).read_bytes())


def page_request_headers(unpacked: Path, item: dict):  # noqa: ANN201 - warcio's StatusAndHeaders
    """The HTTP headers of the request that fetched the item's own page, from the packet's
    WARC: the request concurrent to the response the item's first page record names."""
    own = set(item["packet_files"]["warc_records"])
    with (unpacked / "archive" / "evidence.warc.gz").open("rb") as fh:
        records = [(r.rec_type, r.rec_headers, r.http_headers) for r in ArchiveIterator(fh)
                   if r.rec_headers.get_header("WARC-Record-ID") in own]
    page = item["pages"][0]
    urls = {page["url"], page["final_url"]}
    response = next(h.get_header("WARC-Record-ID") for t, h, _ in records
                    if t == "response" and h.get_header("WARC-Target-URI") in urls)
    return next(http for t, h, http in records
                if t == "request" and h.get_header("WARC-Concurrent-To") == response)


def test_cover_pdf_shows_the_agency_in_chinese(unpacked: Path, tmp_path: Path) -> None:
    cover = json.loads((unpacked / layout.CASE_JSON).read_text())
    # fake_cert is a forging lead: the police receive it, the others get copies.
    assert cover["agency"]["key"] == "police"
    assert {a["key"] for a in cover["copies"]} == {"samr", "mohurd"}
    html = (unpacked / layout.COVER_HTML).read_text()
    assert "公安机关" in html and layout.sha256((unpacked / layout.MANIFEST).read_bytes()) in html
    assert "分析人员结论：已确认，挂证（出租、出借注册证书），李四" in html
    # The top of page 1 (title and receiving agency) is enough, and OCR is slow on a page.
    run(["pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-x", "0", "-y", "0", "-W", "1240",
         "-H", "420", "-png",
         str(unpacked / layout.COVER_PDF), str(tmp_path / "page")], tmp_path, check=True)
    image = next(tmp_path.glob("page*.png"))
    ocr = run(["tesseract", str(image), "-", "-l", "chi_sim"], tmp_path, check=True).stdout
    squashed = "".join(ocr.split())
    assert "公安机关" in squashed, squashed[:500]
    assert "电子证据移送材料封面" in squashed, squashed[:500]


# -- verify ----------------------------------------------------------------------------------
def test_signing_key_is_private_and_its_fingerprint_is_in_the_packet(unpacked: Path,
                                                                    crawled) -> None:
    key = crawled[0] / "keys" / "evidence-ed25519.pem"
    assert key.stat().st_mode & 0o777 == 0o600
    assert (key.parent.stat().st_mode & 0o777) == 0o700
    pub = run(["openssl", "pkey", "-in", str(key), "-pubout"], unpacked, check=True).stdout
    assert pub.encode() == (unpacked / layout.PUBLIC_KEY).read_bytes()
    manifest = json.loads((unpacked / layout.MANIFEST_JSON).read_text())
    fingerprint = manifest["signing_key"]["fingerprint_sha256"]
    assert fingerprint in (unpacked / layout.COVER_HTML).read_text()
    assert fingerprint in (unpacked / layout.VERIFY_TXT).read_text()


def test_verify_intact_packet(packet: Path, crawled, env) -> None:
    proc = certwatch("evidence", "verify", str(packet), home=crawled[0], env=env)
    assert proc.stdout.splitlines()[-1] == f"OK {packet}: intact"
    assert "timestamp: RFC 3161" in proc.stdout and "chains to CERTWATCH_TSA_CA" in proc.stdout
    assert "signature: Ed25519 good" in proc.stdout
    assert "signer matches the trusted fingerprint" in proc.stdout
    # Without CERTWATCH_TSA_CA the copy inside the packet is not trusted, and without any
    # trusted fingerprint the signer is reported as unchecked.
    verdict = verify_members(members_of(packet))
    assert verdict.ok and any("timestamp chain not checked" in line for line in verdict.summary)
    assert any(UNCHECKED_SIGNER in line for line in verdict.summary)


def test_timestamp_token_is_checked_cryptographically(packet: Path, tmp_path: Path) -> None:
    from reports.evidence.errors import TimestampError
    from reports.evidence.timestamp import check_token

    members = members_of(packet)
    token, manifest = members[layout.TIMESTAMP], members[layout.MANIFEST]
    assert check_token(token, manifest, ca_pem=members[layout.TSA_CA]).ca_checked
    with pytest.raises(TimestampError, match="imprint"):
        check_token(token, manifest + b"\n")
    # A TSA certificate from another authority does not chain to this CA.
    stranger = LocalTSA(tmp_path / "other-tsa")
    verdict = verify_members(members, tsa_ca=stranger.ca_pem.read_bytes())
    assert not verdict.ok and verdict.member == layout.TIMESTAMP
    assert "does not chain" in verdict.failure


def rewrite(src: Path, dst: Path, change) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        members = {i.filename: zin.read(i) for i in zin.infolist()}
        for name, data in change(members).items():
            zout.writestr(name, data)


def regenerate(members: dict[str, bytes]) -> dict[str, bytes]:
    """datapackage.json and its digest remade for the members as they now are."""
    manifest = json.loads(members[layout.MANIFEST_JSON])
    members[layout.DATAPACKAGE], members[layout.DATAPACKAGE_DIGEST] = layout.datapackage(
        members, manifest)
    return members


def flip(data: bytes, at: int) -> bytes:
    out = bytearray(data)
    out[at] ^= 0x01
    return bytes(out)


def members_of(packet: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(packet) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def test_flipping_any_byte_of_any_member_is_named(packet: Path) -> None:
    # In memory, on the members as read from the ZIP (the ZIP round trip is covered by the
    # CLI tests below): fast enough to flip the first, middle and last byte of every member.
    members = members_of(packet)
    assert len(members) >= 25 and verify_members(members).ok
    for name, data in sorted(members.items()):
        for at in sorted({0, len(data) // 2, len(data) - 1}):
            verdict = verify_members({**members, name: flip(data, at)})
            assert not verdict.ok, f"flip at {at} in {name} went unnoticed"
            assert verdict.member == name, f"flip in {name} blamed on {verdict.failure}"


def test_added_or_removed_member_is_named(packet: Path, tmp_path: Path) -> None:
    members = members_of(packet)
    for extra in ("screenshots/extra.png", "archive/extra.warc.gz", "notes.txt"):
        verdict = verify_members({**members, extra: b"extra"})
        assert not verdict.ok and verdict.member == extra and "added" in verdict.failure
    for name in sorted(members):
        verdict = verify_members({k: v for k, v in members.items() if k != name})
        assert not verdict.ok, f"removing {name} went unnoticed"
        assert verdict.member == name, f"removing {name} blamed on {verdict.failure}"
    # The same through a real ZIP file.
    copy = tmp_path / "tampered.wacz"
    rewrite(packet, copy, lambda m: {k: v for k, v in m.items() if k != layout.COVER_PDF})
    verdict = verify_packet(copy)
    assert not verdict.ok and verdict.member == layout.COVER_PDF and "missing" in verdict.failure
    rewrite(packet, copy, lambda m: {**m, "extra/notes.txt": b"x"})
    assert verify_packet(copy).member == "extra/notes.txt"


def test_verify_cli_exit_statuses(packet: Path, crawled, tmp_path: Path) -> None:
    home = crawled[0]
    copy = tmp_path / "tampered.wacz"
    warc = next(n for n in members_of(packet) if n.startswith("archive/"))
    rewrite(packet, copy, lambda m: {**m, warc: flip(m[warc], 100)})
    proc = certwatch("evidence", "verify", str(copy), home=home, check=False)
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[-1] == (
        f"FAILED {copy}: {warc}: altered (SHA-256 differs from {layout.MANIFEST})")
    # A byte flipped in the ZIP itself: the member's CRC fails and it is named.
    raw = bytearray(packet.read_bytes())
    with zipfile.ZipFile(packet) as zf:
        info = zf.getinfo(warc)
    raw[info.header_offset + 30 + len(info.filename.encode()) + 50] ^= 0x01
    copy.write_bytes(bytes(raw))
    proc = certwatch("evidence", "verify", str(copy), home=home, check=False)
    assert proc.returncode == 1 and warc in proc.stdout.splitlines()[-1]
    for junk in (b"just text\n", b""):
        (tmp_path / "junk.wacz").write_bytes(junk)
        proc = certwatch("evidence", "verify", str(tmp_path / "junk.wacz"), home=home,
                         check=False)
        assert proc.returncode == 2 and "not an evidence packet" in proc.stderr
        assert "Traceback" not in proc.stderr
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as zf:
        zf.writestr("hello.txt", "hi")
    proc = certwatch("evidence", "verify", str(tmp_path / "other.zip"), home=home, check=False)
    assert proc.returncode == 2 and "not a certwatch evidence packet" in proc.stderr
    proc = certwatch("evidence", "verify", str(tmp_path / "absent.wacz"), home=home,
                     check=False)
    assert proc.returncode == 2 and "no such file" in proc.stderr


def reseal(members: dict[str, bytes], key, *, change=None, pem: bytes | None = None,
           manifest_bytes=None) -> dict[str, bytes]:
    """What a forger does: alter files, then rebuild manifest, signatures, seal, custody and
    WACZ metadata with their own key (the timestamp cannot be redone, so it is dropped)."""
    manifest = json.loads(members[layout.MANIFEST_JSON])
    files = {p: members[p] for p in layout.parse_sha256sum(members[layout.MANIFEST])
             if p != layout.MANIFEST_JSON}
    files = change(files) if change else files
    files[layout.PUBLIC_KEY] = pem or signing.public_pem(key)
    fp = "0" * 64 if pem else signing.fingerprint(files[layout.PUBLIC_KEY])
    meta = {k: v for k, v in manifest.items() if k not in ("format", "record", "files")}
    meta["signing_key"] = {**meta["signing_key"], "fingerprint_sha256": fp}
    files[layout.MANIFEST_JSON] = layout.manifest_json(files, meta)
    if manifest_bytes is not None:
        files[layout.MANIFEST_JSON] = manifest_bytes
    sealed = {layout.MANIFEST: layout.sha256sum_lines(files)}
    sealed[layout.SIGNATURE] = signing.sign(key, sealed[layout.MANIFEST])
    for name in (layout.COVER_HTML, layout.COVER_PDF, layout.VERIFY_TXT):
        sealed[name] = members[name]
    sealed[layout.SEAL] = layout.sha256sum_lines(sealed)
    sealed[layout.SEAL_SIGNATURE] = signing.sign(key, sealed[layout.SEAL])
    entry = custody.new_entry([], key=key, action="export", who="伪造者", case=meta["case"],
                              packet="forged.wacz", before={},
                              after={p: layout.sha256(d) for p, d in sealed.items()},
                              at=datetime.now(UTC))
    out = {**files, **sealed, layout.CUSTODY: custody.serialise([entry])}
    out[layout.DATAPACKAGE], out[layout.DATAPACKAGE_DIGEST] = layout.datapackage(out, meta)
    return out


def test_packet_resigned_with_another_key_fails(packet: Path, crawled, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    members = members_of(packet)
    text = next(n for n in members if n.startswith("text/"))
    forged = reseal(members, Ed25519PrivateKey.generate(),
                    change=lambda f: {**f, text: f[text] + "（已改）".encode()})
    # Consistent in itself: only a fingerprint from outside the packet exposes it.
    verdict = verify_members(forged)
    assert verdict.ok and any(UNCHECKED_SIGNER in line for line in verdict.summary)
    real = signing.fingerprint(members[layout.PUBLIC_KEY])
    verdict = verify_members(forged, trusted=frozenset({real}))
    assert not verdict.ok and verdict.member == layout.SIGNATURE
    # A custody entry signed by an unknown key fails once a trusted fingerprint is given.
    other = Ed25519PrivateKey.generate()
    entries = custody.parse_log(members[layout.CUSTODY])[0]
    extra = custody.new_entry(entries, key=other, action="handover", who="某人", to="别人",
                              case=CASE, packet=entries[0]["packet"],
                              before=entries[0]["after"], after=entries[0]["after"],
                              at=datetime.now(UTC))
    longer = {**members, layout.CUSTODY: custody.serialise([*entries, extra])}
    longer[layout.DATAPACKAGE], longer[layout.DATAPACKAGE_DIGEST] = layout.datapackage(
        longer, json.loads(members[layout.MANIFEST_JSON]))
    verdict = verify_members(longer, trusted=frozenset({real}))
    assert not verdict.ok and verdict.member == layout.CUSTODY
    assert verdict.failure.startswith(f"{layout.CUSTODY} line 2: signed by key")
    other_fp = signing.fingerprint(signing.public_pem(other))
    assert verify_members(longer, trusted=frozenset({real, other_fp})).ok
    copy = tmp_path / "forged.wacz"
    rewrite(packet, copy, lambda _m: forged)
    proc = certwatch("evidence", "verify", str(copy), home=crawled[0], check=False)
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[-1].startswith(
        f"FAILED {copy}: {layout.SIGNATURE}: signed by key ")
    # The same with the fingerprint given explicitly, from a home that has no key.
    proc = certwatch("evidence", "verify", str(copy), "--key-fingerprint", real.upper(),
                     home=tmp_path / "elsewhere", check=False)
    assert proc.returncode == 1 and layout.SIGNATURE in proc.stdout.splitlines()[-1]
    proc = certwatch("evidence", "verify", str(packet), home=tmp_path / "elsewhere",
                     env={"CERTWATCH_EVIDENCE_KEY": real})
    assert "signer matches the trusted fingerprint" in proc.stdout
    proc = certwatch("evidence", "verify", str(packet), home=tmp_path / "elsewhere")
    assert "签名者未核对" in proc.stdout and proc.stdout.endswith("intact\n")


def test_malformed_packets_fail_cleanly(packet: Path, crawled, tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    members = members_of(packet)
    verdict = verify_members(reseal(members, key, pem=b"-----BEGIN PUBLIC KEY-----\ngarbage\n"))
    assert not verdict.ok and verdict.member == layout.PUBLIC_KEY
    assert "unreadable" in verdict.failure
    for body in (b"[1]\n", b'{"files": 3}\n', json.dumps(
            {k: v for k, v in json.loads(members[layout.MANIFEST_JSON]).items()
             if k != "software"}).encode()):
        verdict = verify_members(reseal(members, key, manifest_bytes=body))
        assert not verdict.ok and verdict.member == layout.MANIFEST_JSON, verdict
        assert "malformed" in verdict.failure
    [entry] = custody.parse_log(members[layout.CUSTODY])[0]
    for field, value in (("after", "x"), ("after", {"a": 1}), ("hash", 5)):
        bad = {**entry, field: value}
        if field != "hash":
            bad["hash"] = custody.entry_hash(bad)
        verdict = verify_members({**members, layout.CUSTODY: custody.serialise([bad])})
        assert not verdict.ok and verdict.member == layout.CUSTODY, verdict
    unsigned = {k: v for k, v in entry.items() if k != "sig"}
    verdict = verify_members({**members, layout.CUSTODY: custody.serialise([unsigned])})
    assert not verdict.ok and "unsigned" in verdict.failure
    # An encrypted member (flag bit 0 set in the ZIP headers) and a size cap.
    copy = tmp_path / "encrypted.wacz"
    raw = bytearray(packet.read_bytes())
    with zipfile.ZipFile(packet) as zf:
        info = zf.getinfo(layout.MANIFEST_JSON)
    raw[info.header_offset + 6] |= 1
    central = raw.index(b"PK\x01\x02")
    while True:  # find the central directory entry for that member
        name_len = int.from_bytes(raw[central + 28:central + 30], "little")
        if raw[central + 46:central + 46 + name_len] == layout.MANIFEST_JSON.encode():
            break
        central = raw.index(b"PK\x01\x02", central + 4)
    raw[central + 8] |= 1
    copy.write_bytes(bytes(raw))
    proc = certwatch("evidence", "verify", str(copy), home=crawled[0], check=False)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stdout.splitlines()[-1] == (
        f"FAILED {copy}: {layout.MANIFEST_JSON}: encrypted (certwatch never encrypts members)")
    proc = certwatch("evidence", "verify", str(packet), home=crawled[0], check=False,
                     env={"CERTWATCH_EVIDENCE_MAX_BYTES": "4096"})
    assert proc.returncode == 1 and "unpacks to more than 4096 bytes" in proc.stdout


# -- custody ----------------------------------------------------------------------------------
def test_custody_continues_across_reexport_and_handover(crawled, env, tmp_path: Path) -> None:
    home, picks = crawled
    listing = str(picks["exam_fraud"]["id"])
    case = "续链案"
    out = tmp_path / "out"
    first = Path(certwatch("evidence", "export", listing, "--out", str(out), "--case", case,
                           "--operator", "王五", home=home, env=env).stdout.split()[-1])
    first_log = custody.parse_log(members_of(first)[layout.CUSTODY])[0]
    # 张三 ran the crawl (CERTWATCH_OPERATOR), 王五 exported: the cover names both.
    assert "张三（抓取） / 王五（导出）" in members_of(first)[layout.COVER_HTML].decode("utf-8")
    handed = certwatch("evidence", "handover", str(first), "--to", "某市公安局 赵六",
                       "--operator", "王五", "--note", "当面移交U盘", home=home, env=env)
    assert "handed over to 某市公安局 赵六" in handed.stdout
    assert (first.parent / f".{first.name}.lock").exists()  # the rewrite held its lock
    log = custody.parse_log(members_of(first)[layout.CUSTODY])[0]
    assert [e["action"] for e in log] == ["export", "handover"]
    assert log[0] == first_log[0] and log[1]["prev"] == log[0]["hash"]
    assert log[1]["before"] == log[1]["after"] == log[0]["after"]
    assert log[1]["to"] == "某市公安局 赵六" and log[1]["note"] == "当面移交U盘"
    assert certwatch("evidence", "verify", str(first), home=home, env=env).returncode == 0
    handed_copy = tmp_path / "handed-over.wacz"
    shutil.copy(first, handed_copy)
    # Re-export of the same case continues the exporter's chain, handover included.
    second = Path(certwatch("evidence", "export", listing, "--out", str(out), "--case", case,
                            "--operator", "王五", home=home, env=env).stdout.split()[-1])
    log2 = custody.parse_log(members_of(second)[layout.CUSTODY])[0]
    assert [e["action"] for e in log2] == ["export", "handover", "re-export"]
    assert log2[:2] == log and log2[2]["before"] == log[1]["after"]
    assert log2[2]["after"] != log[1]["after"]  # a new manifest, a new signature
    home_log = custody.HomeLog(home, case)
    assert home_log.load() == log2
    assert home_log.path.read_bytes() == members_of(second)[layout.CUSTODY]
    proc = certwatch("evidence", "verify", str(second), home=home, env=env)
    assert f"custody: matches this machine's copy {home_log.path}" in proc.stdout
    assert second != first and first.exists()  # a re-export never replaces a packet
    # The handed-over packet is now behind the exporter's copy: noted, still intact.
    proc = certwatch("evidence", "verify", str(handed_copy), home=home, env=env)
    assert "has 1 later entries" in proc.stdout and proc.stdout.endswith("intact\n")
    # ... and handing that older packet over again forks the logs legitimately.
    certwatch("evidence", "handover", str(handed_copy), "--to", "某市检察院", home=home, env=env)
    proc = certwatch("evidence", "verify", str(handed_copy), home=home, env=env)
    assert "has 1 later entries" in proc.stdout and proc.stdout.endswith("intact\n")
    handed_copy.write_bytes(first.read_bytes())
    # The handed-over packet with its handover line deleted (datapackage regenerated) is
    # consistent in itself, but this machine's log knows the dropped entry.
    def drop_last(m: dict[str, bytes]) -> dict[str, bytes]:
        m = {**m, layout.CUSTODY: custody.serialise(custody.parse_log(m[layout.CUSTODY])[0][:-1])}
        manifest = json.loads(m[layout.MANIFEST_JSON])
        m[layout.DATAPACKAGE], m[layout.DATAPACKAGE_DIGEST] = layout.datapackage(m, manifest)
        return m

    dropped = tmp_path / "dropped.wacz"
    rewrite(handed_copy, dropped, drop_last)
    assert verify_members(members_of(dropped)).ok  # nothing inside the packet shows it
    proc = certwatch("evidence", "verify", str(dropped), home=home, env=env, check=False)
    assert proc.returncode == 1, proc.stdout
    assert proc.stdout.splitlines()[-1].startswith(f"FAILED {dropped}: {layout.CUSTODY}: "
                                                   "entries missing")
    # A rewritten past entry breaks the chain at that line.
    entries = [dict(e) for e in log2]
    entries[1]["to"] = "别人"
    problem = custody.check_chain(entries)
    assert problem is not None and problem.line == 2


def test_handover_refuses_a_tampered_packet(packet: Path, crawled, tmp_path: Path) -> None:
    copy = tmp_path / "tampered.wacz"
    rewrite(packet, copy, lambda m: {**m, layout.COVER_HTML: m[layout.COVER_HTML] + b" "})
    before = copy.read_bytes()
    proc = certwatch("evidence", "handover", str(copy), "--to", "某人", home=crawled[0],
                     check=False)
    assert proc.returncode == 2 and layout.COVER_HTML in proc.stderr
    assert copy.read_bytes() == before
    # CERTWATCH_TSA_CA reaches the handover's verification: another authority's CA refuses.
    intact = tmp_path / "intact.wacz"
    shutil.copy(packet, intact)
    stranger = LocalTSA(tmp_path / "other-tsa")
    proc = certwatch("evidence", "handover", str(intact), "--to", "某人", home=crawled[0],
                     check=False, env={"CERTWATCH_TSA_CA": str(stranger.ca_pem)})
    assert proc.returncode == 2 and "does not chain" in proc.stderr, proc.stderr
    assert intact.read_bytes() == packet.read_bytes()


# -- lookalike sites ---------------------------------------------------------------------------
def test_site_packet_goes_to_the_cyberspace_administration(crawled, tmp_path: Path) -> None:
    home, _ = crawled
    certwatch("check-domain", "--fetch", "zlaq-mohurd.cn", home=home)
    out = tmp_path / "out"
    proc = certwatch("evidence", "export", "site:zlaq-mohurd.cn", "--out", str(out),
                     "--case", "仿冒查询站", home=home)
    packet = Path(proc.stdout.strip().splitlines()[-1])
    assert certwatch("evidence", "verify", str(packet), home=home).returncode == 0
    members = members_of(packet)
    case = json.loads(members[layout.CASE_JSON])
    assert case["agency"]["key"] == "cac" and case["labels"] == {
        "site:zlaq-mohurd.cn": "lookalike"}
    assert "网信部门" in members[layout.COVER_HTML].decode("utf-8")
    assert any(n.startswith("screenshots/site-zlaq-mohurd_cn") for n in members)
    findings = json.loads(members["findings/site-zlaq-mohurd_cn.json"])
    assert findings["lookalike"]["canary"]["result"] == "valid"
    assert findings["lookalike"]["imitates"] == "zlaq.mohurd.gov.cn"
    capture = json.loads(members[layout.CAPTURE_JSON])
    assert any("不可能存在的证书编号" in step for step in capture["items"][0]["click_path"])
    proc = certwatch("evidence", "export", "site:never-captured.cn", "--out", str(out),
                     home=home, check=False)
    assert proc.returncode == 2 and "no capture of this domain" in proc.stderr
    # A screenshot edited in the capture directory is refused, and nothing is left behind.
    from store.lookalike_records import latest_capture

    engine = create_engine(f"sqlite:///{home / 'certwatch.db'}")
    shot = Path(latest_capture(engine, "zlaq-mohurd.cn")["screenshot"]["path"])
    engine.dispose()
    manifest = shot.parent / "manifest.json"
    original, original_manifest = shot.read_bytes(), manifest.read_bytes()
    edited = original + b"edited"
    listed = json.loads(original_manifest)
    listed["files"][shot.name].update(sha256=layout.sha256(edited), size=len(edited))
    fresh = tmp_path / "fresh"
    try:
        # The capture directory's own manifest is updated to match: only the store's
        # hashes can tell.
        shot.write_bytes(edited)
        manifest.write_text(json.dumps(listed), "utf-8")
        proc = certwatch("evidence", "export", "site:zlaq-mohurd.cn", "--out", str(fresh),
                         home=home, check=False)
    finally:
        shot.write_bytes(original)
        manifest.write_bytes(original_manifest)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "manifest.json no longer matches the SHA-256 recorded in the store" in proc.stderr
    assert not fresh.exists()


# -- PostgreSQL ---------------------------------------------------------------------------
@pytest.mark.postgres
def test_export_from_postgresql(postgres_url: str, tmp_path: Path) -> None:
    """The same packet from a team's PostgreSQL store (own database, dropped afterwards)."""
    from sqlalchemy import text

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"certwatch_evidence_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        env = {"CERTWATCH_DB_URL": url}
        certwatch("crawl", "--source", "zhipin", "--night", "1", "--quiet", home=tmp_path,
                  env=env)
        row = listings_jsonl(tmp_path, "--sort", "score", "--limit", "1", env=env)[0]
        proc = certwatch("evidence", "export", str(row["id"]), "--out", str(tmp_path / "out"),
                         "--case", "pg", home=tmp_path, env=env)
        packet = Path(proc.stdout.strip().splitlines()[-1])
        assert certwatch("evidence", "verify", str(packet), home=tmp_path).returncode == 0
        findings = json.loads(members_of(packet)[f"findings/listing-{row['id']}.json"])
        assert findings["classifier"]["label"] == row["label"]
        assert findings["first_seen"].endswith("Z")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# -- bad input -------------------------------------------------------------------------------
@pytest.mark.parametrize("ids", [["999999"], ["listing:abc"], ["frob:1"], ["1", "999999"]])
def test_unknown_id_is_a_clear_error_and_leaves_nothing(crawled, tmp_path: Path,
                                                        ids: list[str]) -> None:
    home, _ = crawled
    out = tmp_path / "out"
    proc = certwatch("evidence", "export", *ids, "--out", str(out), home=home, check=False)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("certwatch: error: "), proc.stderr
    assert ids[-1].split(":")[-1] in lines[0]
    assert not out.exists()


def test_existing_out_dir_keeps_only_finished_packets(crawled, tmp_path: Path) -> None:
    home, _ = crawled
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    proc = certwatch("evidence", "export", "424242", "--out", str(out), home=home, check=False)
    assert proc.returncode == 2
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    # A TSA that does not answer fails the export before anything lands in --out.
    proc = certwatch("evidence", "export", "1", "--out", str(out), home=home, check=False,
                     env={"CERTWATCH_TSA_URL": "http://127.0.0.1:9/tsa"})
    assert proc.returncode == 2 and "CERTWATCH_TSA_URL" in proc.stderr
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    # A failure after the directory was made for it removes the directory too.
    fresh = tmp_path / "fresh"
    proc = certwatch("evidence", "export", "1", "--out", str(fresh), home=home, check=False,
                     env={"CERTWATCH_TSA_URL": "http://127.0.0.1:9/tsa"})
    assert proc.returncode == 2 and not fresh.exists()


@pytest.mark.parametrize("out", ["/etc/passwd/x", "{tmp}/made/" + "x" * 300])
def test_unusable_out_is_a_one_line_error_and_leaves_nothing(crawled, tmp_path: Path,
                                                             out: str) -> None:
    home, picks = crawled
    out = out.format(tmp=tmp_path)
    proc = certwatch("evidence", "export", str(picks["exam_fraud"]["id"]), "--out", out,
                     home=home, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"certwatch: error: --out {out}: cannot create the directory (")
    assert not (tmp_path / "made").exists()  # the parent it made on the way is gone again


def test_packet_is_copied_in_whole_where_it_cannot_be_hard_linked(crawled,
                                                                   tmp_path: Path) -> None:
    """Staged (TMPDIR) on another device than --out, link() fails for real (EXDEV), as it
    does on a FAT/exFAT stick (EPERM): the packet is copied in and renamed into place."""
    home, picks = crawled
    staging = Path(tempfile.mkdtemp(dir="/dev/shm", prefix="certwatch-test-staging-"))
    try:
        out = tmp_path / "stick"
        assert staging.stat().st_dev != tmp_path.stat().st_dev, "need two file systems"
        proc = certwatch("evidence", "export", str(picks["exam_fraud"]["id"]), "--out",
                         str(out), "--case", "跨设备", home=home, env={"TMPDIR": str(staging)})
        packet = Path(proc.stdout.strip().splitlines()[-1])
        assert [p.name for p in out.iterdir()] == [packet.name]  # no temp copy left
        assert list(staging.iterdir()) == []  # nor the staged one
        assert packet.stat().st_mode & 0o777 == 0o644
        assert certwatch("evidence", "verify", str(packet), home=home).returncode == 0
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def test_placing_a_packet_across_devices_copies_it_and_never_overwrites(
        tmp_path: Path) -> None:
    """The fallback itself, on real files: link() from /dev/shm into tmp fails (EXDEV)."""
    from reports.evidence.errors import EvidenceError
    from reports.evidence.packet import place_packet

    staging = Path(tempfile.mkdtemp(dir="/dev/shm", prefix="certwatch-test-staging-"))
    try:
        assert staging.stat().st_dev != tmp_path.stat().st_dev, "need two file systems"
        staged = staging / "case.wacz"
        staged.write_bytes(b"PK packet" * 1000)
        with pytest.raises(OSError):  # the real situation the fallback is for
            (tmp_path / "probe").hardlink_to(staged)
        place_packet(staged, tmp_path / "case.wacz")
        assert (tmp_path / "case.wacz").read_bytes() == staged.read_bytes()
        # A packet already there is kept as it is, and no temp copy is left beside it.
        (tmp_path / "other.wacz").write_bytes(b"an earlier packet")
        with pytest.raises(EvidenceError, match="already exists"):
            place_packet(staged, tmp_path / "other.wacz")
        assert (tmp_path / "other.wacz").read_bytes() == b"an earlier packet"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["case.wacz", "other.wacz"]
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def test_evidence_benchmark_removes_its_temporary_directory(tmp_path: Path) -> None:
    """bench/evidence.py works in a temporary directory (a crawl, packets, WARCs): gone
    when it ends."""
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    env.pop("CERTWATCH_HOME", None)
    proc = subprocess.run([sys.executable, "bench/evidence.py", "--rounds", "1", "--no-tsa",
                           "--capture-rounds", "0"], cwd=Path(__file__).resolve().parent.parent,
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "certwatch evidence export" in proc.stdout
    assert list(tmp_path.glob("certwatch-bench-evidence-*")) == []


# -- small pure parts ------------------------------------------------------------------------
def test_id_parser() -> None:
    assert parse_id("12").id == "listing:12" and parse_id("listing:012").id == "listing:12"
    assert parse_id("site:Zlaq-Mohurd.CN").id == "site:zlaq-mohurd.cn"
    assert parse_id("site:zlaq-mohurd.cn").slug == "site-zlaq-mohurd_cn"


def test_agency_by_category() -> None:
    from reports.evidence.collect import Item
    from reports.evidence.ids import Target

    def item(label: str | None, kind: str = "listing", families: tuple[str, ...] = ()) -> Item:
        attrs = {"certificates": [{"family": f} for f in families]}
        return Item(target=Target(kind, "1" if kind == "listing" else "a.cn"), url="u",
                    title="", text="", fields={}, source="s", source_title="", platform="",
                    findings={"classifier": {"label": label}, "attributes": attrs})

    assert for_case([item(None, "site")])[0].key == "cac"
    assert for_case([item("exam_fraud")])[0].key == "samr"
    assert for_case([item("fake_cert")]) [0].key == "police"
    assert for_case([item("guazheng", families=("二级建造师",))])[0].key == "mohurd"
    assert for_case([item("guazheng", families=("注册安全工程师",))])[0].key == "mohrss"
    assert for_case([item("benign")])[0].key == "none"
    lead, copies = for_case([item("benign"), item("exam_fraud"), item(None, "site")])
    assert lead.key == "cac" and [a.key for a in copies] == ["samr"]


def test_pages_crawled_before_warc_capture_are_rebuilt_from_stored_bytes(tmp_path: Path) -> None:
    """With CERTWATCH_WARC=0 (or before capture existed) the stored body is the evidence:
    kept byte for byte as a `resource` record, its recorded headers as `metadata`."""
    from reports.evidence.collect import PageRecord
    from reports.evidence.warc_source import ORIGIN_STORE, rebuild
    from store.bodies import BodyStore

    bodies = BodyStore(tmp_path / "bodies")
    body = "<html><body>二建挂证 年薪3万</body></html>".encode("gbk")
    digest = bodies.put(body)
    page = PageRecord(id=1, url="http://a.example.cn/1", final_url="http://a.example.cn/1x",
                      status=200, fetched_at=datetime(2026, 12, 1, 2, 3, 4, tzinfo=UTC),
                      content_hash=digest, size=len(body), kind="detail", encoding="gbk",
                      headers={"Content-Type": ["text/html; charset=gbk"]}, run_id=1)
    members = rebuild(bodies, page)
    warc = tmp_path / "rebuilt.warc.gz"
    warc.write_bytes(b"".join(m.data for m in members))
    proc = run([f"{VENV_BIN}/warcio", "check", "-v", str(warc)], tmp_path)
    assert proc.returncode == 0 and proc.stdout.count("digest pass") == 2, proc.stdout
    with warc.open("rb") as fh:
        records = list(ArchiveIterator(fh))
    with warc.open("rb") as fh:
        payloads = [r.content_stream().read() for r in ArchiveIterator(fh)]
    assert [r.rec_type for r in records] == ["resource", "metadata"]
    assert payloads[0] == body
    assert records[0].rec_headers.get_header("WARC-Target-URI") == "http://a.example.cn/1x"
    assert records[0].rec_headers.get_header("WARC-Date") == "2026-12-01T02:03:04Z"
    assert records[0].rec_headers.get_header("WARC-Certwatch-Origin") == ORIGIN_STORE
    meta = json.loads(payloads[1])
    assert meta["status"] == 200 and meta["body_sha256"] == digest
    assert meta["headers"] == {"Content-Type": ["text/html; charset=gbk"]}
    # A stored body that no longer matches its hash is a clear error, not a traceback.
    from reports.evidence.errors import EvidenceError

    bodies.path_for(digest).write_bytes(b"corrupt")
    with pytest.raises(EvidenceError, match="corrupt"):
        rebuild(BodyStore(tmp_path / "bodies"), page)


def test_cli_is_registered() -> None:
    assert shutil.which("openssl") and shutil.which("jq")
    proc = subprocess.run([sys.executable, "-m", "certwatch.cli", "evidence", "--help"],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and "export" in proc.stdout and "handover" in proc.stdout
