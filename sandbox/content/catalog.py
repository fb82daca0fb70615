"""Night-1 content of every listing site: which kinds, how many, keys, dates, field policy."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sandbox.content.draft import Draft
from sandbox.content.kinds import write
from sandbox.content.pen import Pen
from sandbox.content.replies import forum_replies
from sandbox.hosts import SITES
from sandbox.listing import Post, TruthListing

# Night 1 is the crawl of 2026-11-22; night n is n-1 days later. Ads are up at 20:00.
BASE_DATE = datetime(2026, 11, 22)
CLOSE_HOUR = 20
DAY = "%Y-%m-%d"
MINUTE = "%Y-%m-%d %H:%M"

XSS_TITLE_TAIL = '<script>alert("certwatch-xss")</script>'
XSS_LINK_TEXT = "证书样本点这里查看"


@dataclass(frozen=True)
class SiteSpec:
    name: str
    mix: dict[str, int]  # kind -> number of listings on night 1
    new_key: Callable[[Pen], str]
    url_path: Callable[[str], str]  # key -> detail path
    posted_format: str
    gbk_safe: bool = False

    @property
    def size(self) -> int:
        return sum(self.mix.values())

    def url(self, key: str) -> str:
        return f"http://{SITES[self.name]}{self.url_path(key)}"


def _alnum(pen: Pen, n: int) -> str:
    return "".join(pen.pick("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(n))


SPECS: dict[str, SiteSpec] = {
    "jobs58": SiteSpec(
        "jobs58",
        {
            "guazheng_offer": 60,
            "guazheng_seek": 35,
            "guazheng_broker": 30,
            "onsite_job": 72,
            "safety_recruit": 22,
            "training_honest": 19,
            "fake_cert_sale": 30,
            "fake_cert_agent": 22,
            "exam_baoguo": 36,
            "exam_proxy": 14,
        },
        lambda pen: str(pen.between(10_000_000, 99_999_999)),
        lambda key: f"/zhaopin/{key}x.shtml",
        DAY,
    ),
    "zhipin": SiteSpec(
        "zhipin",
        {
            "guazheng_offer": 18,
            "guazheng_broker": 10,
            "onsite_job": 28,
            "safety_recruit": 8,
            "training_honest": 6,
            "fake_cert_agent": 8,
            "exam_baoguo": 12,
        },
        lambda pen: _alnum(pen, 16),
        lambda key: f"/job_detail/{key}.html",
        DAY,
    ),
    "xianyu": SiteSpec(
        "xianyu",
        {
            "fake_cert_sale": 30,
            "fake_cert_agent": 12,
            "exam_baoguo": 12,
            "exam_leak": 14,
            "exam_proxy": 4,
            "textbook": 16,
            "used_goods": 12,
            "training_honest": 8,
            "guazheng_seek": 12,
        },
        lambda pen: str(pen.between(600_000_000_000, 799_999_999_999)),
        lambda key: f"/item/{key}",
        MINUTE,
    ),
    "tieba": SiteSpec(
        "tieba",
        {
            "question": 28,
            "complaint": 12,
            "news": 14,
            "notice": 8,
            "warning": 10,
            "guazheng_seek": 14,
            "guazheng_offer": 10,
            "guazheng_broker": 8,
            "fake_cert_sale": 12,
            "fake_cert_agent": 8,
            "exam_baoguo": 14,
            "exam_proxy": 6,
            "exam_leak": 6,
        },
        lambda pen: str(pen.between(9_000_000_000, 9_999_999_999)),
        lambda key: f"/p/{key}",
        MINUTE,
        gbk_safe=True,
    ),
    "hostile": SiteSpec(
        "hostile",
        {
            "guazheng_broker": 2,
            "guazheng_offer": 1,
            "fake_cert_sale": 2,
            "fake_cert_agent": 1,
            "exam_baoguo": 1,
            "warning": 1,
        },
        lambda pen: str(pen.between(100_000, 999_999)),
        lambda key: f"/info/{key}.html",
        DAY,
    ),
}
# Hostile corners that are real listings: (key, kind, special).
HOSTILE_SPECIALS: tuple[tuple[str, str, str], ...] = (
    ("rl-1", "guazheng_broker", "ratelimit"),
    ("rl-2", "exam_baoguo", "ratelimit"),
    ("rl-3", "news", "ratelimit"),
    ("malformed", "guazheng_offer", "malformed"),
    ("xss", "fake_cert_sale", "xss"),
)
# Fraud stays up for weeks; notices and news linger for months.
MAX_AGE_DAYS = {"news": 150, "notice": 200}


def site_pen(seed: int, site: str, night: int) -> Pen:
    """A fresh Pen per (seed, site, night): string seeds hash with SHA-512, stable everywhere."""
    return Pen(random.Random(f"{seed}:{site}:{night}"), gbk_safe=SPECS[site].gbk_safe)


def night_close(night: int) -> datetime:
    return BASE_DATE + timedelta(days=night - 1, hours=CLOSE_HOUR)


def make_post(
    spec: SiteSpec,
    pen: Pen,
    kind: str,
    key: str,
    when: datetime,
    close: datetime,
    special: str = "",
) -> Post:
    """Write one listing posted at `when`; `close` is the crawl time of its night."""
    draft = write(kind, pen)
    if special == "xss":
        draft.title = f"{draft.title} {XSS_TITLE_TAIL}"
        draft.lines.insert(min(1, len(draft.lines)), XSS_LINK_TEXT)
    return post_from_draft(spec, pen, draft, key, when, close, special)


def post_from_draft(
    spec: SiteSpec,
    pen: Pen,
    draft: Draft,
    key: str,
    when: datetime,
    close: datetime,
    special: str = "",
) -> Post:
    text = draft.text()
    price, contact, region = draft.price, draft.contact, draft.region
    replies = ()
    if spec.name == "tieba":
        # A forum post has no price/contact/region fields; a contact counts only if written.
        price, region = None, None
        contact = contact if contact and contact in text else None
        replies = forum_replies(pen, draft.label, when, close)
    truth = TruthListing(
        site=spec.name,
        key=key,
        url=spec.url(key),
        title=draft.title,
        text=text,
        label=draft.label,
        kind=draft.kind,
        posted=when.strftime(spec.posted_format),
        price=price,
        contact=contact,
        region=region,
        obfuscated=draft.obfuscated,
    )
    if spec.gbk_safe:
        for value in (
            truth.title,
            truth.text,
            *(r.text for r in replies),
            *(r.author for r in replies),
        ):
            value.encode("gbk")  # raises if the grammar let a non-GBK character through
    return Post(
        truth=truth,
        when=when,
        org=draft.org,
        person=draft.person,
        topic=draft.topic,
        replies=replies,
        special=special,
    )


def fresh_key(spec: SiteSpec, pen: Pen, used: set[str]) -> str:
    while True:
        key = spec.new_key(pen)
        if key not in used:
            used.add(key)
            return key


def first_night(seed: int, site: str) -> list[Post]:
    spec = SPECS[site]
    pen = site_pen(seed, site, 1)
    close = night_close(1)
    kinds = [kind for kind, count in spec.mix.items() for _ in range(count)]
    pen.rng.shuffle(kinds)
    used: set[str] = set()
    posts = []
    jobs = [(k, kind, s) for k, kind, s in HOSTILE_SPECIALS] if site == "hostile" else []
    jobs += [(fresh_key(spec, pen, used), kind, "") for kind in kinds]
    for key, kind, special in jobs:
        age = pen.between(1, MAX_AGE_DAYS.get(kind, 40) * 24 * 60)
        when = close - timedelta(minutes=age)
        posts.append(make_post(spec, pen, kind, key, when, close, special))
    return posts
