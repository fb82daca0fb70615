"""The stable API other parts build on: load_watchlist, analyze_domain, candidates."""

from __future__ import annotations

import pytest

from certwatch.errors import UserError
from classifiers.lookalike.discovery import Candidate, candidates
from classifiers.lookalike.errors import InvalidDomain
from classifiers.lookalike.names import NameVerdict, analyze_domain
from classifiers.lookalike.watchlist import Watchlist, load_watchlist


@pytest.fixture(scope="module")
def watchlist() -> Watchlist:
    return load_watchlist()


def test_verdict_contract(watchlist: Watchlist) -> None:
    verdict = analyze_domain("zlaq.mohurd.gov.cn.example.com", watchlist)
    assert isinstance(verdict, NameVerdict)
    assert verdict.as_json() == {
        "domain": "zlaq.mohurd.gov.cn.example.com", "label": "lookalike", "score": 0.983,
        "imitates": "zlaq.mohurd.gov.cn",
        "reasons": ["gov-cn-subdomain", "brand:mohurd", "token:zlaq"]}
    assert analyze_domain("zlaq.mohurd.gov.cn", watchlist).label == "official"
    assert analyze_domain("www.baidu.com", watchlist).as_json()["label"] == "benign"


def test_invalid_name_is_a_user_error(watchlist: Watchlist) -> None:
    with pytest.raises(InvalidDomain) as caught:
        analyze_domain("bad..name", watchlist)
    assert isinstance(caught.value, UserError)


def test_candidates_are_unique_and_typed(watchlist: Watchlist) -> None:
    found = list(candidates(watchlist, listing_texts=["官网 zlaq-mohurd.cn 可查",
                                                      "see mohurda.com"]))
    assert all(isinstance(c, Candidate) for c in found)
    domains = [c.domain for c in found]
    assert len(domains) == len(set(domains))
    assert Candidate("zlaq-mohurd.cn", "listing", "listing") in found
    # A listing name that a fuzzer also produces keeps where it was seen.
    assert Candidate("mohurda.com", "listing", "listing") in found
