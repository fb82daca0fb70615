"""The sandbox web: deterministic content, faithful pages, hostile corners, night mutations.

Talks to a real SandboxServer on port 0 over loopback, both as an HTTP proxy (absolute-form
request targets, as Scrapy sends them) and directly with a Host header (as Chromium does).
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from urllib.parse import quote, urljoin, urlsplit

import parsel
import pytest

from sandbox.content.catalog import XSS_TITLE_TAIL
from sandbox.content.nights import night_state
from sandbox.hosts import ALL_HOSTS, START_URLS, TIEBA_FORUMS
from sandbox.render.gov import NOT_FOUND, VALID, VALID_CERTIFICATES
from sandbox.server import SandboxServer
from sandbox.truth import DEFAULT_SEED, LOOKALIKES, OFFICIAL_SITES, SITES, TruthListing, listings

LABELS = {"guazheng", "fake_cert", "exam_fraud", "benign"}
SLOW_SECONDS = 1.0


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(slow_seconds=SLOW_SECONDS) as srv:
        yield srv


@pytest.fixture(scope="module")
def truth() -> list[TruthListing]:
    return listings()


class Fetched:
    def __init__(self, status: int, headers: http.client.HTTPMessage, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def sel(self, encoding: str = "utf-8") -> parsel.Selector:
        return parsel.Selector(text=self.body.decode(encoding))


def fetch(srv: SandboxServer, url: str, *, proxy: bool = True, method: str = "GET") -> Fetched:
    """GET through the sandbox: as a proxy (absolute-form target) or with a Host header."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=30)
    try:
        if proxy:
            conn.request(method, url)
        else:
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            conn.request(method, target, headers={"Host": parts.netloc})
        resp = conn.getresponse()
        return Fetched(resp.status, resp.headers, resp.read())
    finally:
        conn.close()


def raw_request(srv: SandboxServer, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", srv.port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def by_site(items: list[TruthListing], site: str) -> list[TruthListing]:
    return [t for t in items if t.site == site]


def lines_of(nodes: list[str]) -> str:
    return "\n".join(n.strip() for n in nodes if n.strip())


# --- content --------------------------------------------------------------------------------


def test_same_seed_same_listings_and_other_seed_differs() -> None:
    assert listings(DEFAULT_SEED, 1) == listings(DEFAULT_SEED, 1)
    assert listings(DEFAULT_SEED, 2) == listings(DEFAULT_SEED, 2)
    other = listings(7, 1)
    assert {t.title for t in other} != {t.title for t in listings()}


def test_counts_and_labels_per_site(truth: list[TruthListing]) -> None:
    counts = Counter(t.site for t in truth)
    assert counts["jobs58"] >= 320
    assert 80 <= counts["zhipin"] <= 100 and 110 <= counts["xianyu"] <= 130
    assert 140 <= counts["tieba"] <= 160 and counts["hostile"] >= 8
    for site in SITES:
        assert {t.label for t in by_site(truth, site)} == LABELS, site
    labels = Counter(t.label for t in truth)
    assert 0.3 <= labels["benign"] / len(truth) <= 0.42
    assert 0.24 <= labels["guazheng"] / len(truth) <= 0.34


def test_keys_urls_and_text_shape(truth: list[TruthListing]) -> None:
    assert len({(t.site, t.key) for t in truth}) == len(truth)
    for t in truth:
        assert t.url.startswith(f"http://{SITES[t.site]}/") and t.key in t.url
        assert t.title == t.title.strip() and t.text
        assert all(line == line.strip() and line for line in t.text.split("\n")), t.url
        assert re.fullmatch(r"\d{4}-\d\d-\d\d( \d\d:\d\d)?", t.posted)


def test_fraud_is_partly_disguised_and_benign_is_mostly_hard(truth: list[TruthListing]) -> None:
    fraud = [t for t in truth if t.label != "benign"]
    share = sum(t.obfuscated for t in fraud) / len(fraud)
    assert 0.3 <= share <= 0.5
    assert not any(t.obfuscated for t in truth if t.label == "benign")
    benign = [t for t in truth if t.label == "benign"]
    easy = [t for t in benign if t.kind == "used_goods"]
    assert len(easy) <= len(benign) / 2
    onsite = [t for t in benign if t.kind == "onsite_job"]
    assert all("社保" in t.text for t in onsite)
    assert all(re.search("驻场|常驻|坐班", t.text) for t in onsite)


def test_forum_strings_are_gbk_and_replies_predate_the_crawl() -> None:
    for post in night_state(DEFAULT_SEED, 1).posts["tieba"]:
        assert all(post.truth.posted < r.posted <= "2026-11-22 20:00" for r in post.replies)
        for value in (
            post.truth.title,
            post.truth.text,
            post.person,
            *(r.text for r in post.replies),
            *(r.author for r in post.replies),
        ):
            value.encode("gbk")


def test_night_two_removes_edits_and_adds() -> None:
    one = {(t.site, t.key): t for t in listings(night=1)}
    two = {(t.site, t.key): t for t in listings(night=2)}
    removed, added = one.keys() - two.keys(), two.keys() - one.keys()
    edited = [k for k in one.keys() & two.keys() if one[k] != two[k]]
    assert 0.03 <= len(removed) / len(one) <= 0.05
    assert 0.04 <= len(edited) / len(one) <= 0.08
    assert 0.04 <= len(added) / len(one) <= 0.06
    assert all(one[k].title == two[k].title for k in edited)  # same listing, touched up
    newest = by_site(listings(night=2), "jobs58")[0]
    assert ("jobs58", newest.key) in added


# --- serving ---------------------------------------------------------------------------------


def test_absolute_form_proxy_request_routes_by_path(
    server: SandboxServer, truth: list[TruthListing]
) -> None:
    item = by_site(truth, "jobs58")[30]
    path = urlsplit(item.url).path
    raw = raw_request(
        server,
        (
            f"GET {item.url} HTTP/1.1\r\nHost: {SITES['jobs58']}\r\nConnection: close\r\n\r\n"
        ).encode(),
    )
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert item.title in parsel.Selector(text=body.decode()).css("h1.job-title::text").get()
    raw = raw_request(
        server,
        (
            f"GET {path} HTTP/1.1\r\nHost: {SITES['jobs58']}:80\r\nConnection: close\r\n\r\n"
        ).encode(),
    )
    assert raw.startswith(b"HTTP/1.1 200") and item.title.encode() in raw


def test_unknown_host_connect_and_post(server: SandboxServer) -> None:
    bad = fetch(server, "http://www.example.com/")
    assert bad.status == 502 and "not a sandbox host" in bad.text
    raw = raw_request(
        server,
        b"CONNECT jobs.58-sandbox.cn:443 HTTP/1.1\r\n"
        b"Host: jobs.58-sandbox.cn:443\r\nConnection: close\r\n\r\n",
    )
    assert raw.startswith(b"HTTP/1.1 405")
    assert fetch(server, "http://jobs.58-sandbox.cn/zhaopin/", method="POST").status == 405


def test_robots_and_favicon_on_every_host(server: SandboxServer) -> None:
    for host in ALL_HOSTS:
        robots = fetch(server, f"http://{host}/robots.txt", proxy=False)
        assert robots.status == 200 and "Disallow: /admin/" in robots.text
        assert fetch(server, f"http://{host}/favicon.ico").status in (200, 204)


def test_control_endpoints_only_on_loopback_names(server: SandboxServer) -> None:
    hosts = fetch(server, f"http://127.0.0.1:{server.port}/__sandbox__/hosts", proxy=False)
    assert json.loads(hosts.body) == list(ALL_HOSTS)
    refused = fetch(server, "http://jobs.58-sandbox.cn/__sandbox__/night?n=2", method="POST")
    assert refused.status != 200 and server.night == 1


def _crawl_lists(
    srv: SandboxServer, start: str, item_css: str, next_css: str, encoding: str = "utf-8"
) -> list[str]:
    found, url, seen = [], start, set()
    while url and url not in seen:
        seen.add(url)
        page = fetch(srv, url)
        assert page.status == 200, url
        sel = page.sel(encoding)
        found += [urljoin(url, href) for href in sel.css(item_css).getall()]
        nxt = sel.css(next_css).get()
        url = urljoin(url, nxt) if nxt else None
    return found


def test_pagination_reaches_every_listing(server: SandboxServer, truth: list[TruthListing]) -> None:
    jobs = _crawl_lists(
        server,
        START_URLS["jobs58"][0],
        "li.job-item a.job-title::attr(href)",
        "div.pager a.next::attr(href)",
    )
    assert jobs == [t.url for t in by_site(truth, "jobs58")]  # newest first, in order
    zhipin = _crawl_lists(
        server,
        START_URLS["zhipin"][0],
        "div.job-card-wrapper a.job-card-left::attr(href)",
        "a.ui-icon-arrow-right::attr(href)",
    )
    assert zhipin == [t.url for t in by_site(truth, "zhipin")]
    tieba = []
    for start in START_URLS["tieba"]:
        tieba += _crawl_lists(
            server,
            start,
            "li.j_thread_list a.j_th_tit::attr(href)",
            "a.next::attr(href)",
            encoding="gbk",
        )
    assert sorted(tieba) == sorted(t.url for t in by_site(truth, "tieba"))
    hostile = fetch(server, START_URLS["hostile"][0]).sel().css("a.info-link::attr(href)").getall()
    listed = {urljoin(START_URLS["hostile"][0], h) for h in hostile}
    assert {t.url for t in by_site(truth, "hostile")} <= listed
    assert {"/loop/a", "/info/slow.html", "/info/huge.html"} <= set(hostile)
    nav = fetch(server, START_URLS["hostile"][0]).sel().css("a.date-nav::attr(href)").getall()
    assert nav == ["/calendar/2026-11/"]


def test_detail_pages_show_the_truth(server: SandboxServer, truth: list[TruthListing]) -> None:
    for t in by_site(truth, "jobs58"):
        sel = fetch(server, t.url).sel()
        assert sel.css("h1.job-title::text").get() == t.title
        assert "\n".join(sel.css("div.job-desc p::text").getall()) == t.text
        assert sel.css("div.pos-base span.salary::text").get() == t.price
        assert sel.css("div.pos-base span.area::text").get() == t.region
        assert sel.css("div.pos-base span.pub-date::text").get() == t.posted
        assert sel.css("div.contact::text").get() == t.contact
        assert sel.css("div.company-name::text").get()
    for t in by_site(truth, "zhipin"):
        sel = fetch(server, t.url, proxy=False).sel()
        assert sel.css("div.name h1::text").get() == t.title
        assert "\n".join(sel.css("div.job-sec-text::text").getall()) == t.text
        assert sel.css("span.salary::text").get() == t.price
        assert sel.css("div.location-address::text").get() == t.region
        assert sel.css("span.job-time::text").get() == t.posted
        assert sel.css("div.boss-info-attr::text").get() == t.contact
    for t in by_site(truth, "tieba"):
        sel = fetch(server, t.url).sel("gbk")
        assert sel.css("h3.core_title_txt::text").get() == t.title
        first = sel.css("div.l_post")[0]
        assert lines_of(first.css("div.d_post_content::text").getall()) == t.text
        assert first.css("span.tail-info::text").get() == t.posted
        assert t.contact is None or t.contact in t.text
    for t in by_site(truth, "hostile"):
        page = fetch(server, t.url)
        while page.status == 429:  # rate-limited corner: the server does not time the retry
            page = fetch(server, t.url)
        sel = page.sel()
        assert sel.css("h1.title::text").get() == t.title, t.url
        assert lines_of(sel.css("div.content ::text").getall()) == t.text, t.url
        assert sel.css("span.price::text").get() == t.price
        assert sel.css("span.contact::text").get() == t.contact
        assert sel.css("span.area::text").get() == t.region
        assert sel.css("span.date::text").get() == t.posted


def test_marketplace_is_javascript_only(server: SandboxServer, truth: list[TruthListing]) -> None:
    items = by_site(truth, "xianyu")
    shell = fetch(server, START_URLS["xianyu"][0])
    assert shell.status == 200
    assert '<div id="feed"></div>' in shell.text and 'id="load-more"' in shell.text
    assert "/api/items?offset=" in shell.text and "innerHTML" not in shell.text
    detail = fetch(server, items[0].url)
    for page in (shell, detail):
        assert not any(t.title in page.text for t in items)
    feed, offset = [], 0
    while True:
        data = json.loads(
            fetch(server, f"http://{SITES['xianyu']}/api/items?offset={offset}&limit=20").body
        )
        feed += data["items"]
        offset += len(data["items"])
        if not data["has_more"]:
            break
    assert [i["key"] for i in feed] == [t.key for t in items]
    for item, t in zip(feed, items, strict=True):
        assert (item["title"], item["desc"], item["price"], item["area"], item["posted"]) == (
            t.title,
            t.text,
            t.price,
            t.region,
            t.posted,
        )
        assert t.contact is None or item["seller"] == t.contact
    one = json.loads(fetch(server, f"http://{SITES['xianyu']}/api/item/{items[5].key}").body)
    assert one["title"] == items[5].title
    assert fetch(server, f"http://{SITES['xianyu']}/item/000").status == 404


def test_forum_charset_is_missing_or_wrong(
    server: SandboxServer, truth: list[TruthListing]
) -> None:
    listing = fetch(server, START_URLS["tieba"][0])
    assert listing.headers["Content-Type"] == "text/html"
    assert b"charset" not in listing.body.lower()
    with pytest.raises(UnicodeDecodeError):
        listing.body.decode("utf-8")
    metas = Counter()
    for t in by_site(truth, "tieba")[:40]:
        page = fetch(server, t.url)
        assert page.headers["Content-Type"] == "text/html; charset=utf-8"
        assert t.title.encode("gbk") in page.body
        metas[b'<meta charset="gbk">' in page.body] += 1
    assert metas[True] and metas[False]
    # kw percent-encoded in GBK (as the pager writes it) and UTF-8 (start URLs) both work.
    kw = next(iter(TIEBA_FORUMS.values()))
    gbk = "".join(f"%{b:02X}" for b in kw.encode("gbk"))
    assert fetch(server, f"http://{SITES['tieba']}/f?kw={gbk}&pn=0").body == listing.body


def test_rate_limited_page_answers_429_twice_then_200(server: SandboxServer) -> None:
    server.set_night(server.night)  # same content, fresh counters
    url = f"http://{SITES['hostile']}/info/rl-2.html"
    first, second, third = (fetch(server, url) for _ in range(3))
    assert first.status == second.status == 429
    assert first.headers["Retry-After"] == "1"
    assert third.status == 200 and "rl-2" in {t.key for t in by_site(listings(), "hostile")}


def test_loop_and_endless_calendar(server: SandboxServer) -> None:
    a = fetch(server, f"http://{SITES['hostile']}/loop/a")
    b = fetch(server, f"http://{SITES['hostile']}/loop/b")
    assert (a.status, a.headers["Location"]) == (302, "/loop/b")
    assert (b.status, b.headers["Location"]) == (302, "/loop/a")
    url = f"http://{SITES['hostile']}/calendar/2026-11/"
    for _ in range(30):
        page = fetch(server, url)
        assert page.status == 200 and len(page.sel().css("ul a::attr(href)").getall()) >= 3
        url = urljoin(url, page.sel().css("a.next-month::attr(href)").get())
    assert url.endswith("/calendar/2029-05/")


def test_huge_page_is_streamed_in_full(server: SandboxServer) -> None:
    page = fetch(server, f"http://{SITES['hostile']}/info/huge.html")
    assert page.status == 200 and len(page.body) == 20 * 1024 * 1024
    assert page.body.endswith(b"</html>")


def test_slow_page_does_not_block_other_requests(server: SandboxServer) -> None:
    done: dict[str, float] = {}

    def slow() -> None:
        start = time.monotonic()
        assert fetch(server, f"http://{SITES['hostile']}/info/slow.html").status == 200
        done["slow"] = time.monotonic() - start

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.1)
    start = time.monotonic()
    assert fetch(server, START_URLS["jobs58"][0]).status == 200
    assert time.monotonic() - start < SLOW_SECONDS / 2
    thread.join()
    assert done["slow"] >= SLOW_SECONDS * 0.9


def test_malformed_and_xss_pages(server: SandboxServer, truth: list[TruthListing]) -> None:
    hostile = {t.key: t for t in by_site(truth, "hostile")}
    broken = fetch(server, hostile["malformed"].url)
    assert b"\x00" in broken.body and b"</html>" not in broken.body
    xss = fetch(server, hostile["xss"].url)
    assert hostile["xss"].title.endswith(XSS_TITLE_TAIL)
    assert XSS_TITLE_TAIL not in xss.text  # only ever escaped
    assert "&lt;script&gt;alert(&quot;certwatch-xss&quot;)&lt;/script&gt;" in xss.text
    assert '<img src=x onerror="alert(1)">' in xss.text and 'href="javascript:' in xss.text


def test_official_portal_and_lookalikes(server: SandboxServer) -> None:
    official, copy, zscx = (OFFICIAL_SITES["zlaq"], LOOKALIKES["zlaq_copy"], LOOKALIKES["zscx"])
    number, holder = next(iter(VALID_CERTIFICATES.items()))
    hit = fetch(server, f"http://{official}/cx/result?zsbh={quote(number)}")
    assert VALID in hit.text and holder.name in hit.text
    for host in (official, copy):
        home = fetch(server, f"http://{host}/")
        assert '<img src="/static/emblem.png"' in home.text and "ICP备" in home.text
        assert 'name="zsbh"' in fetch(server, f"http://{host}/cx/").text
        assert fetch(server, f"http://{host}/static/emblem.png").body.startswith(b"\x89PNG")
    assert NOT_FOUND in fetch(server, f"http://{official}/cx/result?zsbh=ABC123").text
    assert VALID in fetch(server, f"http://{copy}/cx/result?zsbh=ABC123").text
    fake = fetch(server, f"http://{zscx}/search/?zsbh=ABC123&xm=x")
    assert VALID in fake.text and "emblem" not in fetch(server, f"http://{zscx}/").text


def test_set_night_serves_mutations_and_resets_counters() -> None:
    state = night_state(DEFAULT_SEED, 2)
    gone = state.removed[0].truth
    with SandboxServer() as srv:
        url = f"http://{SITES['hostile']}/info/rl-1.html"
        assert [fetch(srv, url).status for _ in range(3)] == [429, 429, 200]
        assert fetch(srv, gone.url).status == 200
        switched = fetch(
            srv, f"http://127.0.0.1:{srv.port}/__sandbox__/night?n=2", proxy=False, method="POST"
        )
        assert switched.status == 200 and srv.night == 2
        assert fetch(srv, gone.url).status == 404
        assert fetch(srv, url).status == 429  # counters reset with the night
        added = [p.truth for p in state.added if p.truth.site == "jobs58"]
        first_page = fetch(srv, START_URLS["jobs58"][0]).text
        assert added and all(
            t.title.replace('"', "&quot;") in first_page or t.title in first_page for t in added[:3]
        )
        srv.set_night(1)
        assert fetch(srv, gone.url).status == 200
