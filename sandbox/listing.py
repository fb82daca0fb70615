"""What a crawler should find (TruthListing) and what the sandbox serves around it (Post)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TruthListing:
    site: str  # one of SITES keys
    key: str  # site-unique stable id, the same across nights
    url: str  # canonical absolute URL of the detail page
    title: str  # exactly as a reader sees it
    text: str  # body text as a reader sees it; paragraphs joined with "\n"
    label: str  # "guazheng" | "fake_cert" | "exam_fraud" | "benign"
    kind: str  # finer kind: "guazheng_offer", "onsite_job", "news", ...
    posted: str  # ISO "2026-11-20" or "2026-11-20 12:33", as displayed
    price: str | None  # as displayed
    contact: str | None  # as displayed (may be obfuscated)
    region: str | None  # "安徽·合肥"
    obfuscated: bool


@dataclass(frozen=True)
class ForumReply:
    author: str
    posted: str
    text: str


@dataclass(frozen=True)
class Post:
    """A listing plus the page furniture its site shows around it."""

    truth: TruthListing
    when: datetime  # orders list pages, newest first
    org: str  # company / school / shop; "个人" for individuals
    person: str  # contact person or nickname
    topic: str  # forum on the tieba replica
    replies: tuple[ForumReply, ...] = ()
    special: str = ""  # hostile corners rendered unusually: "ratelimit", "malformed", "xss"

    @property
    def lines(self) -> list[str]:
        return self.truth.text.split("\n")
