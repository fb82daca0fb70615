"""Discovery, name side: candidate hostnames from permutations, feeds and crawled listings.

`candidates()` yields each name once (first origin wins, order: feed, listing, permutation:
a name seen in the wild keeps where it was seen even when a fuzzer also makes it); scoring and
fetching are later stages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from classifiers.lookalike import hostnames, psl
from classifiers.lookalike.errors import InvalidDomain
from classifiers.lookalike.feeds import FeedProblems, read_feed
from classifiers.lookalike.fuzzers import is_permissible, permutations
from classifiers.lookalike.watchlist import Watchlist

ORIGINS = ("feed", "listing", "permutation")

# Hostnames in free text and links: ASCII labels (punycode included) joined by dots; Chinese
# text around them is not part of the class, so "官网zlaq-mohurd.com查询" yields the name.
_HOST_IN_TEXT = re.compile(
    r"(?<![a-z0-9.-])((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:xn--[a-z0-9-]{2,59}|[a-z]{2,63}))"
    r"(?![a-z0-9-])")
# People write 点 or a full stop for the dot to dodge link filters: zlaq点mohurd点com.
_OBFUSCATED_DOT = re.compile(r"\s*(?:点|。|．|\[\.\]|\(\.\)|\(dot\)|\[dot\])\s*")


@dataclass(frozen=True, slots=True)
class Candidate:
    domain: str  # ASCII (punycode) form, lowercase
    origin: str  # permutation | feed | listing
    detail: str  # feed-path:line | listing:ID (or listing) | fuzzer:imitated-host


class ListingText(NamedTuple):
    """A stored listing's searchable text, with the listing it came from."""

    listing_id: int
    text: str


def candidates(watchlist: Watchlist, feeds: Sequence[Path] = (),
               listing_texts: Iterable[str | ListingText] = (),
               fuzzers: Sequence[str] | None = None,
               problems: FeedProblems | None = None) -> Iterator[Candidate]:
    """Every candidate once. `fuzzers=None` runs all fuzzers, `()` none."""
    seen: set[str] = set()

    def fresh(name: str) -> str | None:
        try:
            host = hostnames.normalize(name).ascii
        except InvalidDomain:
            return None
        if host in seen or not psl.split(host).registered:
            return None
        seen.add(host)
        return host

    for path in feeds:
        for name, number in read_feed(Path(path), problems):
            if host := fresh(name):
                yield Candidate(host, "feed", f"{path}:{number}")
            elif problems is not None and not _valid(name):
                problems.add(Path(path), number, f"not a domain name: {name[:80]!r}")
    for entry in listing_texts:
        text, detail = ((entry.text, f"listing:{entry.listing_id}")
                        if isinstance(entry, ListingText) else (entry, "listing"))
        for name in hostnames_in_text(text):
            if host := fresh(name):
                yield Candidate(host, "listing", detail)
    if fuzzers is None or fuzzers:
        for domain, fuzzer, imitated in permutations(watchlist, fuzzers):
            if is_permissible(domain) and (host := fresh(domain)):
                yield Candidate(host, "permutation", f"{fuzzer}:{imitated}")


def hostnames_in_text(text: str) -> list[str]:
    """Hostnames mentioned in an ad's text or links (with a public suffix), in order."""
    text = _OBFUSCATED_DOT.sub(".", text.lower())
    found = []
    for match in _HOST_IN_TEXT.finditer(text):
        name = match.group(1)
        if psl.split(name).registered:
            found.append(name)
    return found


# Links in a stored page: href/src/action values with a host (absolute or protocol-relative).
_LINK_HOST = re.compile(rb"""(?:href|src|action)\s*=\s*["']?\s*(?:https?:)?//([^/"'\s>:?#\\]+)""",
                        re.IGNORECASE)


def listing_texts(engine, limit: int | None = None, bodies=None) -> Iterator[ListingText]:
    """Title, text and field values of stored listings (store.models.Listing), with their id.

    With `bodies` (a store.bodies.BodyStore) the hosts linked from each listing's stored
    detail page are added, other than the platform's own host: ads link to fake query sites
    more often than they spell them out.
    """
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from store.models import FetchedPage, Listing

    # Not Listing.url itself: that is the platform's page, not a site the ad points to.
    query = (select(Listing.id, Listing.url, Listing.title, Listing.text, Listing.fields)
             .order_by(Listing.id))
    if limit is not None:
        query = query.limit(limit)
    with Session(engine) as session:
        pages: dict[str, str] = {}
        if bodies is not None:
            rows = session.execute(
                select(FetchedPage.url, FetchedPage.content_hash)
                .where(FetchedPage.content_hash.is_not(None))
                .order_by(FetchedPage.fetched_at))
            pages = {url: digest for url, digest in rows}  # the latest capture wins
        for listing_id, url, title, text, fields in session.execute(query):
            extra = " ".join(str(v) for v in (fields or {}).values())
            links = _linked_hosts(bodies, pages.get(url), url) if pages else []
            yield ListingText(listing_id, " ".join((title or "", text or "", extra, *links)))


def _linked_hosts(bodies, digest: str | None, own_url: str) -> list[str]:
    if digest is None:
        return []
    try:
        body = bodies.get(digest)
    except OSError:
        return []  # a body removed from disk: the text still counts
    own = hostnames.strip_url(own_url).lower()
    found = []
    for match in _LINK_HOST.finditer(body):
        host = match.group(1).decode("ascii", "ignore").lower().rstrip(".")
        if host and host != own and host not in found:
            found.append(host)
    return found


def _valid(name: str) -> bool:
    try:
        hostnames.normalize(name)
    except InvalidDomain:
        return False
    return True
