"""Capture at crawl time: real crawls of the sandbox write WARC records that public tools accept.

The GBK forum (tieba) is crawled twice over loopback (the second time must write revisits),
the JavaScript marketplace (xianyu) once through real Chromium; every check reads the WARC
files back with warcio and its CLI.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import ipaddress
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from scrapy import Request
from scrapy.http import HtmlResponse
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.orm import Session
from warcio.archiveiterator import ArchiveIterator

import store.warc_index_db
from crawlers.middlewares.warc_capture import exit_ip_fields, lookup_exit_ip, scrapy_exchange
from crawlers.screenshot_stamp import stamp_screenshot
from store.bodies import BodyStore
from store.db import open_store
from store.evidence_models import WarcRecordRow
from store.models import CrawlRun, FetchedPage, Listing, Source
from store.warc import HttpMessage, WarcArchive
from store.warc_capture import CaptureWriter, Exchange, PageCapture
from store.warc_index import (
    WarcRecordError,
    captures_for_listing,
    captures_for_url,
    iter_warc_files,
    read_record,
    read_record_bytes,
    warcinfo,
)
from tests.conftest import REPO, certwatch
from tests.ip_echo import closed_port_url, ip_echo

WARCIO = str(Path(sys.executable).with_name("warcio"))


def parse(data: bytes):  # noqa: ANN201 - warcio's ArcWarcRecord
    """The one record in a gzip member, with its payload read (raw, not content-decoded)."""
    record = next(iter(ArchiveIterator(io.BytesIO(data))))
    return record, record.raw_stream.read()


def sqlite_engine(home: Path) -> Engine:
    return create_engine(f"sqlite:///{home / 'certwatch.db'}")


def warc_files(home: Path) -> list[Path]:
    return sorted((home / "warc").rglob("*.warc.gz"))


@pytest.fixture(scope="module")
def forum(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tieba crawled twice, the same night: identical pages the second time."""
    home = tmp_path_factory.mktemp("warc-forum")
    for _ in range(2):
        certwatch("crawl", "--source", "tieba", "--night", "1", "--quiet", home=home)
    return home


def test_warcio_check_and_index_pass_on_every_file(forum: Path) -> None:
    files = warc_files(forum)
    # One file per run, named as documented.
    assert len(files) == 2 and all(f.name.startswith("certwatch-") and "-tieba-" in f.name
                                   for f in files)
    for path in files:
        check = subprocess.run([WARCIO, "check", "-v", str(path)], capture_output=True,
                               text=True)
        assert check.returncode == 0, check.stdout[-2000:] + check.stderr[-2000:]
        assert "digest pass" in check.stdout and "fail" not in check.stdout
        index = subprocess.run([WARCIO, "index", str(path)], capture_output=True, text=True)
        assert index.returncode == 0, index.stderr[-2000:]
        kinds = Counter(line.split('"warc-type": "')[1].split('"')[0]
                        for line in index.stdout.splitlines())
        assert kinds["warcinfo"] == 1 and kinds["request"] > 150


def test_warcinfo_records_the_environment(forum: Path) -> None:
    record = next(iter(ArchiveIterator(open(warc_files(forum)[0], "rb"))))  # noqa: SIM115
    assert record.rec_type == "warcinfo"
    fields = record.content_stream().read().decode("utf-8")
    for name in ("software: certwatch/", "operator: ", "exit-ip: ", "hostname: ",
                 "operating-system: ", "scrapy: ", "warcio: ", "http-header-user-agent: "):
        assert name in fields, fields
    info = warcinfo(warc_files(forum)[0])
    assert info["software"].startswith("certwatch/") and info["robots"] == "obey"
    assert info["exit-ip"] == "unknown (set CERTWATCH_EXIT_IP or CERTWATCH_EXIT_IP_URL)"
    assert info["http-header-accept-language"] == "en"  # Scrapy's default, as sent


def test_exit_ip_is_looked_up_where_configured_and_a_failure_is_recorded() -> None:
    with ip_echo(b"203.0.113.7\n") as (url, hits):
        fields = lookup_exit_ip(url)
        assert fields["exit-ip"] == "203.0.113.7" and fields["exit-ip-source"] == url
        assert fields["exit-ip-checked-at"].endswith("Z") and hits == ["/ip"]
        # The operator's own statement wins: no look-up is made.
        assert exit_ip_fields({"CERTWATCH_EXIT_IP": "198.51.100.1",
                               "CERTWATCH_EXIT_IP_URL": url}) == {
            "exit-ip": "198.51.100.1", "exit-ip-source": "CERTWATCH_EXIT_IP"}
        assert hits == ["/ip"]
    with ip_echo(b"<html>captive portal</html>") as (url, _hits):
        assert lookup_exit_ip(url)["exit-ip"].startswith("unknown (look-up failed: ")
    refused = lookup_exit_ip(closed_port_url())
    assert refused["exit-ip"].startswith("unknown (look-up failed: ") and "refused" in \
        refused["exit-ip"].lower()
    assert lookup_exit_ip("file:///etc/hostname")["exit-ip"] == (
        "unknown (look-up failed: not an http(s) URL)")


def test_crawl_writes_the_looked_up_exit_ip_into_warcinfo(tmp_path: Path) -> None:
    with ip_echo(b"203.0.113.7\n") as (url, hits):
        certwatch("crawl", "--source", "zhipin", "--night", "1", "--quiet",
                  home=tmp_path / "ok", env={"CERTWATCH_EXIT_IP_URL": url})
    info = warcinfo(warc_files(tmp_path / "ok")[0])
    assert (info["exit-ip"], info["exit-ip-source"]) == ("203.0.113.7", url)
    assert hits == ["/ip"]  # once, at the start
    # A look-up that fails is written down, and the crawl goes on.
    url = closed_port_url()
    certwatch("crawl", "--source", "zhipin", "--night", "1", "--quiet",
              home=tmp_path / "down", env={"CERTWATCH_EXIT_IP_URL": url})
    info = warcinfo(warc_files(tmp_path / "down")[0])
    assert info["exit-ip"].startswith("unknown (look-up failed: ")
    assert info["exit-ip-source"] == url


def test_every_stored_page_has_request_and_response_from_127_0_0_1(forum: Path) -> None:
    engine = sqlite_engine(forum)
    with Session(engine) as session:
        first_run = session.scalar(select(func.min(CrawlRun.id)))
        pages = session.execute(select(FetchedPage.url, FetchedPage.content_hash).where(
            FetchedPage.run_id == first_run, FetchedPage.status == 200)).all()
        rows = session.scalars(select(WarcRecordRow).where(
            WarcRecordRow.run_id == first_run)).all()
    by_page: dict[str, list[WarcRecordRow]] = {}
    for row in rows:
        by_page.setdefault(row.page_url, []).append(row)
    assert len(pages) > 150
    bodies = BodyStore(forum / "bodies")
    for url, content_hash in pages:
        kinds = Counter(row.record_type for row in by_page[url])
        assert kinds == {"request": 1, "response": 1}, (url, kinds)
        response = next(row for row in by_page[url] if row.record_type == "response")
        assert response.ip_address == "127.0.0.1"
        assert response.payload_sha256 == content_hash
        data = (forum / response.path).read_bytes()[response.offset:
                                                    response.offset + response.length]
        assert hashlib.sha256(data).hexdigest() == response.record_sha256
        record, payload = parse(data)
        assert record.rec_headers.get_header("WARC-IP-Address") == "127.0.0.1"
        assert record.rec_headers.get_header("WARC-Target-URI") == url
        # The payload is the stored raw body, byte for byte.
        assert payload == bodies.get(content_hash)


def test_gbk_forum_bytes_are_kept_exactly(forum: Path) -> None:
    engine = sqlite_engine(forum)
    with Session(engine) as session:
        row = session.scalars(select(WarcRecordRow).where(
            WarcRecordRow.record_type == "response", WarcRecordRow.page_kind == "detail")
            .limit(1)).one()
    _, payload = parse(read_record_bytes(next(
        ref for ref in captures_for_url(engine, row.url, home=forum)
        if ref.warc_record_id == row.warc_record_id)))
    with pytest.raises(UnicodeDecodeError):
        payload.decode("utf-8")  # really GBK bytes, not something re-encoded on the way
    assert "_百度贴吧</title>" in payload.decode("gbk")
    assert hashlib.sha256(payload).hexdigest() == row.payload_sha256


def test_recrawl_writes_revisits_not_copies(forum: Path) -> None:
    engine = sqlite_engine(forum)
    with Session(engine) as session:
        second_run = session.scalar(select(func.max(CrawlRun.id)))
        kinds = Counter(session.scalars(select(WarcRecordRow.record_type).where(
            WarcRecordRow.run_id == second_run)))
        revisit = session.scalars(select(WarcRecordRow).where(
            WarcRecordRow.run_id == second_run, WarcRecordRow.record_type == "revisit",
            WarcRecordRow.page_kind == "detail").limit(1)).one()
        original = session.scalars(select(WarcRecordRow).where(
            WarcRecordRow.warc_record_id == revisit.refers_to)).one()
    assert kinds["revisit"] > 150 and kinds["response"] == 0, kinds
    assert original.record_type == "response" and original.run_id < second_run
    assert original.payload_sha256 == revisit.payload_sha256
    size_first, size_second = (f.stat().st_size for f in warc_files(forum))
    assert size_second < size_first / 2
    refs = [r for r in captures_for_url(engine, revisit.url, home=forum)
            if r.warc_record_id == revisit.warc_record_id]
    assert refs and refs[0].original is not None
    assert refs[0].original.warc_record_id == original.warc_record_id
    record, block = parse(read_record_bytes(refs[0]))
    headers = record.rec_headers
    assert headers.get_header("WARC-Refers-To") == original.warc_record_id
    assert headers.get_header("WARC-Profile").endswith("/revisit/identical-payload-digest")
    assert headers.get_header("WARC-Payload-Digest") == f"sha256:{original.payload_sha256}"
    assert block == b""  # headers only: the payload lives in the original


def test_captures_for_listing_has_detail_and_list_page(forum: Path) -> None:
    engine = sqlite_engine(forum)
    with Session(engine) as session:
        listing = session.scalars(select(Listing).join(Source)
                                  .where(Source.name == "tieba").limit(1)).one()
    refs = captures_for_listing(engine, listing.id, home=forum)
    kinds = Counter((ref.page_kind, ref.record_type) for ref in refs)
    # Two runs: the first with responses, the second revisits resolved to them.
    assert kinds[("detail", "request")] == 2 and kinds[("detail", "response")] == 1
    assert kinds[("detail", "revisit")] == 1
    assert kinds[("list", "request")] == 2
    assert all(ref.path.is_absolute() and ref.path.is_file() for ref in refs)
    for ref in refs:
        assert hashlib.sha256(read_record_bytes(ref)).hexdigest() == ref.record_sha256
        assert read_record(ref).startswith(b"WARC/1.1\r\n")
    assert list(iter_warc_files(refs)) == warc_files(forum)


def test_altered_record_is_refused(forum: Path, tmp_path: Path) -> None:
    engine = sqlite_engine(forum)
    ref = captures_for_url(engine, "http://tieba.baidu-sandbox.cn/robots.txt", home=forum)[0]
    copy = tmp_path / "copy.warc.gz"
    data = bytearray(ref.path.read_bytes())
    data[ref.offset + ref.length // 2] ^= 0x01
    copy.write_bytes(bytes(data))
    from dataclasses import replace

    with pytest.raises(WarcRecordError, match="does not match the SHA-256"):
        read_record_bytes(replace(ref, path=copy))


def test_capture_can_be_switched_off(tmp_path: Path) -> None:
    certwatch("crawl", "--source", "tieba", "--night", "1", "--quiet", home=tmp_path,
              env={"CERTWATCH_WARC": "0"})
    assert not (tmp_path / "warc").exists()
    with Session(sqlite_engine(tmp_path)) as session:
        assert session.scalar(select(func.count()).select_from(WarcRecordRow)) == 0
        assert session.scalar(select(func.count()).select_from(Listing)) > 100


# -- browser pages --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("warc-market")
    certwatch("crawl", "--source", "xianyu", "--night", "1", "--quiet", home=home,
              env={"CERTWATCH_OPERATOR": "张警官"})
    return home


@pytest.mark.browser
def test_browser_page_has_network_screenshot_and_dom(market: Path) -> None:
    engine = sqlite_engine(market)
    with Session(engine) as session:
        listing = session.scalars(select(Listing).limit(1)).one()
        page = session.scalars(select(FetchedPage).where(FetchedPage.kind == "list")).one()
    refs = captures_for_listing(engine, listing.id, home=market)
    roles = Counter((ref.role, ref.record_type) for ref in refs)
    assert roles[("page", "response")] == 1 and roles[("page", "request")] == 1
    # The JSON API calls the page made while "加载更多" was clicked.
    api = [r for r in refs if r.role == "subresource" and "/api/items" in r.url]
    assert len(api) >= 10 and all(r.ip_address == "127.0.0.1" for r in api
                                  if r.record_type == "response")
    document = next(r for r in refs if r.role == "page" and r.record_type == "response")
    record, _ = parse(read_record_bytes(document))
    assert record.rec_headers.get_header("WARC-IP-Address") == "127.0.0.1"

    dom = next(r for r in refs if r.role == "dom")
    shot = next(r for r in refs if r.role == "screenshot")
    for ref in (dom, shot):
        assert ref.record_type == "resource"
        assert ref.concurrent_to == document.warc_record_id
        assert ref.url == page.url
    assert dom.target_uri == f"urn:dom:{page.url}" and shot.target_uri.startswith("urn:screen")
    # The rendered DOM is exactly what the store kept for the page (and listings came from).
    _, dom_bytes = parse(read_record_bytes(dom))
    assert dom.payload_sha256 == page.content_hash == listing.page_hash
    assert BodyStore(market / "bodies").get(page.content_hash) == dom_bytes
    assert dom_bytes.count(b"item-card") >= 100

    _, png = parse(read_record_bytes(shot))
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width == 1280 and image.height > 3000
    assert_stamped(image)
    # The settings the browser rendered the page with, beside it.
    browser = next(r for r in refs if r.role == "browser")
    assert browser.record_type == "metadata" and browser.concurrent_to == document.warc_record_id
    _, payload = parse(read_record_bytes(browser))
    settings = json.loads(payload)
    assert settings["browser"].startswith("Chromium ")
    assert settings["viewport"] == {"width": image.width, "height": 720}
    request = next(r for r in refs if r.role == "page" and r.record_type == "request")
    sent, _ = parse(read_record_bytes(request))
    headers = {k.lower(): v for k, v in settings["sent_headers"].items()}
    assert headers["user-agent"] == sent.http_headers.get_header("User-Agent")
    assert headers["accept-language"] == sent.http_headers.get_header("Accept-Language")
    assert settings["navigator"]["language"] and settings["navigator"]["userAgent"]
    for path in iter_warc_files(refs):
        check = subprocess.run([WARCIO, "check", "-v", str(path)], capture_output=True,
                               text=True)
        assert check.returncode == 0, check.stdout[-2000:]
        info = warcinfo(path)
        assert info["operator"] == "张警官" and "playwright" in info and "browser" in info


@pytest.mark.browser
def test_browser_records_describe_the_decoded_body_chromium_gave(market: Path) -> None:
    """The sandbox serves the feed gzipped; Chromium hands it over decoded, so the record
    says so (original encoding renamed, Content-Length of the stored body)."""
    engine = sqlite_engine(market)
    with Session(engine) as session:
        feed = session.scalars(select(WarcRecordRow).where(
            WarcRecordRow.record_type == "response",
            WarcRecordRow.url.contains("/api/items")).limit(1)).one()
    ref = next(r for r in captures_for_url(engine, feed.url, home=market)
               if r.warc_record_id == feed.warc_record_id)
    record, payload = parse(read_record_bytes(ref))
    http = record.http_headers
    assert http.get_header("X-Certwatch-Original-Content-Encoding") == "gzip"
    assert http.get_header("Content-Encoding") is None
    assert http.get_header("Content-Length") == str(len(payload))
    assert payload.startswith(b'{"items":[') and hashlib.sha256(payload).hexdigest() \
        == feed.payload_sha256
    assert "Content-Encoding/Transfer-Encoding are renamed" in warcinfo(ref.path)[
        "browser-capture"]


BROWSER_DETAIL_SOURCE = """\
name: xianyudetail
title: 闲鱼详情（测试）
platform: marketplace
browser: true
start_urls: ['http://www.xianyu-sandbox.cn/search?q=证书']
key: '/item/([A-Za-z0-9_-]+)'
list:
  item: "div.item-card:nth-child(-n+3)"
  link: a.item-link::attr(href)
  actions: [{wait_for: div.item-card}]
detail:
  fields: {title: h3.item-title, text: p.item-desc}
politeness: {delay: 0, concurrency: 2}
"""


@pytest.mark.browser
def test_browser_detail_pages_are_captured_without_spider_help(tmp_path: Path) -> None:
    """Pages the spider does not keep open: the middleware screenshots and closes them."""
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "xianyudetail.yaml").write_text(BROWSER_DETAIL_SOURCE, "utf-8")
    home = tmp_path / "home"
    certwatch("crawl", "--source", "xianyudetail", "--quiet", home=home,
              env={"CERTWATCH_SOURCES_DIR": str(sources)})
    with Session(sqlite_engine(home)) as session:
        details = session.scalars(select(FetchedPage).where(FetchedPage.kind == "detail")).all()
        rows = session.scalars(select(WarcRecordRow).where(
            WarcRecordRow.page_kind == "detail")).all()
    assert len(details) == 3
    for page in details:
        mine = [r for r in rows if r.page_url == page.url]
        document = next(r for r in mine if r.role == "page" and r.record_type == "response")
        dom = next(r for r in mine if r.role == "dom")
        shot = next(r for r in mine if r.role == "screenshot")
        assert dom.payload_sha256 == page.content_hash  # what the store kept for the page
        assert dom.concurrent_to == shot.concurrent_to == document.warc_record_id
        assert any(r.role == "subresource" and "/api/item/" in r.url for r in mine)
        _, png = parse((home / shot.path).read_bytes()[shot.offset:shot.offset + shot.length])
        assert_stamped(Image.open(io.BytesIO(png)))


def assert_stamped(image: Image.Image) -> None:
    """The band under the page holds dark text on white, in several lines."""
    band = image.convert("L").crop((0, image.height - 90, image.width, image.height))
    dark_rows = sum(1 for y in range(band.height)
                    if any(band.getpixel((x, y)) < 100 for x in range(0, band.width // 2, 2)))
    assert dark_rows > 30, dark_rows


def test_stamp_shows_beijing_and_utc_time_below_the_page() -> None:
    page = Image.new("RGB", (1000, 400), (200, 230, 255))
    buffer = io.BytesIO()
    page.save(buffer, format="PNG")
    at = datetime(2026, 12, 7, 4, 5, 6, 789000, tzinfo=UTC)
    stamped = Image.open(io.BytesIO(stamp_screenshot(buffer.getvalue(),
                                                     url="http://x.cn/" + "a" * 300,
                                                     at=at, operator="李四")))
    assert stamped.width == 1000 and stamped.height > 400 + 100  # long URL wraps
    # The page pixels are untouched; the stamp is only below them.
    assert stamped.crop((0, 0, 1000, 400)).getcolors() == [(400_000, (200, 230, 255))]
    assert_stamped(stamped)
    from crawlers.screenshot_stamp import stamp_lines

    first = stamp_lines(url="u", at=at, operator="李四")[0]
    assert "2026-12-07 12:05:06.789" in first and "2026-12-07T04:05:06.789Z" in first


# -- TLS, kill safety, PostgreSQL ---------------------------------------------------------
def self_signed_pem() -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "zlaq-mohurd.cn")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(7).not_valid_before(now)
            .not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)


def test_https_exchange_keeps_the_server_certificate(tmp_path: Path) -> None:
    from twisted.internet.ssl import Certificate

    pem = self_signed_pem()
    request = Request("https://zlaq-mohurd.cn/query?id=1")
    response = HtmlResponse("https://zlaq-mohurd.cn/query?id=1", status=200,
                            headers={"Content-Type": "text/html"}, body=b"<html>ok</html>",
                            request=request, certificate=Certificate.loadPEM(pem),
                            ip_address=ipaddress.ip_address("203.0.113.9"), protocol="HTTP/1.1")
    exchange = scrapy_exchange(request, response)
    assert exchange.request.start_line == "GET /query?id=1 HTTP/1.1"
    assert exchange.request.headers[0] == ("Host", "zlaq-mohurd.cn")
    engine = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    writer = CaptureWriter(tmp_path, str(engine.url), source="s", info={"software": "t"})
    writer.submit(PageCapture(source="s", page_url=request.url, run_id=None,
                              exchanges=[exchange]))
    writer.close()
    refs = captures_for_url(engine, request.url, home=tmp_path)
    cert = next(r for r in refs if r.role == "certificate")
    response_ref = next(r for r in refs if r.record_type == "response")
    assert cert.record_type == "metadata" and cert.concurrent_to == response_ref.warc_record_id
    _, block = parse(read_record_bytes(cert))
    assert block == Certificate.loadPEM(pem).dumpPEM()
    assert response_ref.ip_address == "203.0.113.9"


def _capture(i: int) -> PageCapture:
    now = datetime.now(UTC)
    body = f"<html>第{i}页 {'x' * 3000}</html>".encode()
    return PageCapture(source="s", page_url=f"http://a.cn/{i}", run_id=1, exchanges=[Exchange(
        url=f"http://a.cn/{i}", request=HttpMessage(f"GET /{i} HTTP/1.1", [("Host", "a.cn")]),
        response=HttpMessage("200 OK", [("Content-Type", "text/html")], body, "HTTP/1.1"),
        sent_at=now, received_at=now, status=200, ip_address="127.0.0.1")])


def test_a_crash_mid_write_leaves_earlier_records_readable(tmp_path: Path) -> None:
    """SIGKILL a process that is writing records; every indexed record still reads back."""
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from store.db import open_store\n"
        "from store.warc_capture import CaptureWriter\n"
        "from tests.test_warc_capture import _capture\n"
        "home = Path(sys.argv[1]); engine = open_store(f'sqlite:///{home}/c.db')\n"
        "writer = CaptureWriter(home, str(engine.url), source='s', info={'a': 'b'},\n"
        "                       flush_every=20, flush_seconds=0.05)\n"
        "print('ready', flush=True)\n"
        "i = 0\n"
        "while True:\n"
        "    writer.submit(_capture(i)); i += 1\n"
        "    if i % 50 == 0: time.sleep(0.01)\n")
    child = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], cwd=REPO,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        engine = create_engine(f"sqlite:///{tmp_path / 'c.db'}")
        deadline = time.monotonic() + 60
        indexed = 0
        while indexed < 200 and time.monotonic() < deadline:
            time.sleep(0.2)
            with Session(engine) as session:
                indexed = session.scalar(select(func.count()).select_from(WarcRecordRow))
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert indexed >= 200
    with Session(engine) as session:
        rows = session.scalars(select(WarcRecordRow)).all()
    (path,) = warc_files(tmp_path)
    data = path.read_bytes()
    for row in rows:
        member = data[row.offset:row.offset + row.length]
        assert hashlib.sha256(member).hexdigest() == row.record_sha256
        parse(member)
    # A member cut short by the kill only spoils itself: everything before it reads.
    last = max(rows, key=lambda r: r.offset)
    cut = data[:last.offset + last.length] + gzip.compress(b"WARC/1.1\r\n" + b"x" * 5000)[:40]
    records = 0
    try:
        for _ in ArchiveIterator(io.BytesIO(cut)):
            records += 1
    except Exception:  # noqa: BLE001 - whatever warcio makes of the torn tail, it is last
        pass
    assert records >= len(rows) + 1  # + the warcinfo record


def test_a_truncated_file_still_reads_up_to_the_tear(tmp_path: Path) -> None:
    archive = WarcArchive(tmp_path, run=1, source="s", info={"a": "b"})
    written = [archive.write_response(f"http://a.cn/{i}", _capture(i).exchanges[0].response,
                                      date=datetime.now(UTC)) for i in range(5)]
    archive.close()
    path = written[0].path
    data = path.read_bytes()
    torn = data[:written[3].offset + written[3].length // 2]
    for record in written[:3]:
        parse(torn[record.offset:record.offset + record.length])
    with pytest.raises(EOFError):
        gzip.decompress(torn[written[3].offset:])



def test_a_recreated_store_never_collides_with_earlier_files(tmp_path: Path) -> None:
    # A fresh database restarts run ids; in the same process the file names would repeat.
    first = WarcArchive(tmp_path, run=1, source="s", info={"a": "b"})
    one = first.write_response("http://a.cn/1", _capture(1).exchanges[0].response,
                               date=datetime.now(UTC))
    first.close()
    again = WarcArchive(tmp_path, run=1, source="s", info={"a": "b"})
    two = again.write_response("http://a.cn/2", _capture(2).exchanges[0].response,
                               date=datetime.now(UTC))
    again.close()
    assert one.path != two.path
    for record in (one, two):
        data = record.path.read_bytes()
        parse(data[record.offset:record.offset + record.length])

PG_TABLES = ("warc_records", "reviews", "listing_contacts", "contacts", "listing_events",
             "listing_versions", "listings", "fetched_pages", "crawl_runs", "sources")


def _empty(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in PG_TABLES:
            conn.exec_driver_sql(f"DELETE FROM {table}")


@pytest.mark.postgres
def test_index_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    engine = open_store(postgres_url)
    _empty(engine)  # the session's database is shared: start empty, leave it empty
    try:
        for _ in range(2):
            certwatch("crawl", "--source", "tieba", "--night", "1", "--quiet", home=tmp_path,
                      env={"CERTWATCH_DB_URL": postgres_url})
        with Session(engine) as session:
            kinds = Counter(session.scalars(select(WarcRecordRow.record_type)))
            listing_id = session.scalar(select(func.min(Listing.id)))
        assert kinds["response"] > 150 and kinds["revisit"] == kinds["response"]
        refs = captures_for_listing(engine, listing_id, home=tmp_path)
        assert {r.record_type for r in refs} == {"request", "response", "revisit"}
        assert all(r.captured_at.tzinfo is not None for r in refs)
        for ref in refs:
            read_record_bytes(ref)
    finally:
        _empty(engine)
        engine.dispose()


# -- failures while writing -----------------------------------------------------------------
class _TearingFile:
    """A real file that, on its `fail_at`-th write, puts half the bytes on disk and fails."""

    def __init__(self, real, fail_at: int) -> None:  # noqa: ANN001 - an open binary file
        self.real, self.fail_at, self.writes = real, fail_at, 0

    def write(self, data: bytes) -> int:
        self.writes += 1
        if self.writes == self.fail_at:
            self.real.write(data[:len(data) // 2])
            self.real.flush()
            raise OSError(28, "No space left on device")
        return self.real.write(data)

    def flush(self) -> None:
        self.real.flush()

    def close(self) -> None:
        self.real.close()


def test_a_failed_write_costs_one_page_and_every_indexed_record_reads_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import store.warc_capture

    class TearingArchive(WarcArchive):
        def _open_next(self) -> None:
            super()._open_next()
            if self._serial == 1:  # its warcinfo is written: the 7th record tears
                self._file = _TearingFile(self._file, fail_at=7)

    monkeypatch.setattr(store.warc_capture, "WarcArchive", TearingArchive)
    engine = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    writer = CaptureWriter(tmp_path, str(engine.url), source="s", info={"a": "b"})
    for i in range(12):
        writer.submit(_capture(i))
    writer.close()
    assert writer.errors == 1 and writer.unindexed == 0
    first, second = writer.files
    with Session(engine) as session:
        urls = set(session.scalars(select(WarcRecordRow.page_url)))
    # 3 pages (response, request) take writes 1-6; the 4th page's response tears.
    assert urls == {f"http://a.cn/{i}" for i in range(12)} - {"http://a.cn/3"}
    refs = [ref for url in sorted(urls) for ref in captures_for_url(engine, url, home=tmp_path)]
    assert len(refs) == 22 and {ref.path for ref in refs} == {first, second}
    for ref in refs:
        record, _ = parse(read_record_bytes(ref))
        assert record.rec_headers.get_header("WARC-Target-URI") == ref.url
    check = subprocess.run([WARCIO, "check", "-v", str(second)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout[-2000:]
    assert warcinfo(second)["a"] == "b"  # the new file starts with its own warcinfo


def test_an_index_batch_that_fails_is_retried_then_counted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite held by another writer: the batch commits on the retry, or is counted lost."""
    url = f"sqlite:///{tmp_path / 'c.db'}"
    open_store(url).dispose()  # the schema
    monkeypatch.setattr(store.warc_index_db, "BUSY_TIMEOUT", 0.05)
    blocker = create_engine(url).connect()

    def hold() -> None:
        blocker.exec_driver_sql("BEGIN IMMEDIATE")

    hold()
    writer = CaptureWriter(tmp_path, url, source="s", info={"a": "b"},
                           flush_seconds=0)
    writer.submit(_capture(1))
    deadline = time.monotonic() + 10
    while not writer.unindexed and time.monotonic() < deadline:
        time.sleep(0.05)
    assert writer.unindexed == 2 and writer.errors == 1  # retried once, then counted
    blocker.exec_driver_sql("ROLLBACK")
    writer.submit(_capture(2))
    time.sleep(0.3)  # the next batch's first attempt is under way or done
    hold()
    time.sleep(0.3)
    blocker.exec_driver_sql("ROLLBACK")  # released within the retry wait
    writer.close()
    blocker.close()
    with Session(create_engine(url)) as session:
        indexed = set(session.scalars(select(WarcRecordRow.page_url)))
    assert indexed == {"http://a.cn/2"} and writer.errors == 1 and writer.unindexed == 2


def test_a_full_queue_holds_the_producer_back(tmp_path: Path) -> None:
    """While the writer is stuck (the database lock held), `submit` waits for room."""
    import threading

    engine = open_store(f"sqlite:///{tmp_path / 'c.db'}")
    lock = threading.Lock()
    writer = CaptureWriter(tmp_path, str(engine.url), source="s", info={"a": "b"},
                           flush_every=1, flush_seconds=60, lock=lock, max_pages=3)
    lock.acquire()  # the first index flush waits here, so nothing more is taken
    producer = threading.Thread(target=lambda: [writer.submit(_capture(i)) for i in range(10)])
    producer.start()
    time.sleep(1.5)
    try:
        assert producer.is_alive() and len(writer._pending) == 3
    finally:
        lock.release()
    producer.join(30)
    writer.close()
    with Session(engine) as session:
        assert session.scalar(select(func.count(func.distinct(WarcRecordRow.page_url)))) == 10


def test_the_run_record_says_what_was_captured(forum: Path) -> None:
    """The capture is closed (off the reactor) before the store closes the run."""
    with Session(sqlite_engine(forum)) as session:
        runs = session.scalars(select(CrawlRun).order_by(CrawlRun.id)).all()
        counts = [session.scalar(select(func.count()).select_from(WarcRecordRow)
                                 .where(WarcRecordRow.run_id == run.id)) for run in runs]
    for run, indexed in zip(runs, counts, strict=True):
        assert run.stats["certwatch/warc/records"] == indexed > 300
        assert run.stats["certwatch/warc/files"] == 1
        assert "certwatch/errors/warc" not in run.stats and run.stats["certwatch/errors"] == 0
