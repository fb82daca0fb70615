"""Name analysis on the labelled domain list, every fuzzer, IDN forms, and no network."""

from __future__ import annotations

import socket
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from classifiers.lookalike import hostnames, psl
from classifiers.lookalike.errors import InvalidDomain, WatchlistError
from classifiers.lookalike.fuzzers import FUZZERS, UnknownFuzzer, permutations
from classifiers.lookalike.index import index_for
from classifiers.lookalike.names import _analyze, analyze_domain
from classifiers.lookalike.watchlist import Watchlist, load_watchlist
from tests.conftest import REPO

LABELLED = REPO / "classifiers" / "data" / "domains_labelled.tsv"


@pytest.fixture(scope="module")
def watchlist() -> Watchlist:
    return load_watchlist()


def _rows() -> list[tuple[str, str, str, str]]:
    rows = []
    for line in LABELLED.read_text("utf-8").splitlines():
        if line and not line.startswith("#"):
            domain, label, kind, split = line.split("\t")
            rows.append((domain, label, kind, split))
    return rows


def test_labelled_list_is_big_and_covers_every_trick() -> None:
    rows = _rows()
    assert len(rows) >= 300
    kinds = Counter(kind for _, label, kind, _ in rows if label == "lookalike")
    for trick in ("gov-subdomain", "gov-dash", "gov-before-cn", "brand-other-suffix",
                  "homoglyph-ascii", "homoglyph-idn", "punycode", "mixed-script", "typo",
                  "pinyin", "initialism", "query-word", "region-department", "zh-idn",
                  "tld-swap"):
        assert kinds[trick] >= 1, trick
    splits = Counter(split for *_, split in rows)
    assert splits["heldout"] >= 200 and splits["dev"] >= 250


@pytest.mark.parametrize("split", ["dev", "heldout", None])
def test_recall_and_false_positives(watchlist: Watchlist, split: str | None) -> None:
    outcome: dict[str, Counter] = defaultdict(Counter)
    for domain, label, _kind, row_split in _rows():
        if split is not None and row_split != split:
            continue
        outcome[label][analyze_domain(domain, watchlist).label] += 1
    lookalikes = outcome["lookalike"]
    recall = lookalikes["lookalike"] / sum(lookalikes.values())
    assert recall >= 0.95, outcome
    others = outcome["benign"] + outcome["official"]
    fp_rate = others["lookalike"] / sum(others.values())
    # One name-only false positive in the list: www.chinasafetyshoes.com (brand in the name).
    assert fp_rate <= 0.01, outcome
    assert outcome["official"]["official"] == sum(outcome["official"].values())


def test_reasons_are_stable_ascii_codes(watchlist: Watchlist) -> None:
    codes = set()
    for domain, *_ in _rows():
        for reason in analyze_domain(domain, watchlist).reasons:
            assert reason.isascii() and " " not in reason, (domain, reason)
            codes.add(reason.split(":", 1)[0])
    assert codes <= {"official-site", "official-registrant", "gov-cn-restricted",
                     "gov-cn-subdomain", "gov-cn-dash", "gov-before-cn", "brand", "homoglyph",
                     "brand-near", "mixed-script", "confusable-script", "idn", "zh-agency",
                     "zh-query", "token", "region", "region-department", "gov-token",
                     "query-word", "official-label", "gov-suffix-restricted"}, codes


def test_genuine_gov_cn_is_never_a_lookalike(watchlist: Watchlist) -> None:
    for domain, *_ in _rows():
        parts = psl.split(hostnames.normalize(domain).ascii)
        if parts.suffix == "gov.cn":
            assert analyze_domain(domain, watchlist).label != "lookalike", domain


@pytest.mark.parametrize(("domain", "reason", "imitates"), [
    ("zlaq.mohurd.gov.cn.example.com", "gov-cn-subdomain", "zlaq.mohurd.gov.cn"),
    ("mohurd-gov-cn.com", "gov-cn-dash", "www.mohurd.gov.cn"),
    ("mohurdgov.cn", "gov-before-cn", "www.mohurd.gov.cn"),
    ("chinasafety.net", "brand:chinasafety", "www.chinasafety.gov.cn"),
    ("m0hurd.com", "homoglyph:mohurd", "www.mohurd.gov.cn"),
    ("mohrud.com", "brand-near:mohurd", "www.mohurd.gov.cn"),
    ("tzzy-cx.com", "token:tzzy", "cx.mem.gov.cn"),
    ("zhujianbu.cn", "brand:zhujianbu", "www.mohurd.gov.cn"),
    ("hubei-zjt.com", "region-department:hubei+zjt", "zjt.hubei.gov.cn"),
    ("mem.com", "official-label:mem", "www.mem.gov.cn"),
])
def test_each_trick_names_its_reason(watchlist: Watchlist, domain: str, reason: str,
                                     imitates: str) -> None:
    verdict = analyze_domain(domain, watchlist)
    assert verdict.label == "lookalike" and 0.5 <= verdict.score <= 1
    assert reason in verdict.reasons
    assert verdict.imitates == imitates


def test_sandbox_hosts(watchlist: Watchlist) -> None:
    assert analyze_domain("zlaq.mohurd.gov.cn", watchlist).label == "official"
    for fake in ("zlaq-mohurd.cn", "www.mohurd-zscx.com"):
        verdict = analyze_domain(fake, watchlist)
        assert verdict.label == "lookalike" and verdict.imitates == "zlaq.mohurd.gov.cn"
    for site in ("jobs.58-sandbox.cn", "www.zhipin-sandbox.cn", "tieba.baidu-sandbox.cn"):
        assert analyze_domain(site, watchlist).label == "benign"


def test_unicode_and_punycode_forms_agree(watchlist: Watchlist) -> None:
    unicode_name = "zlaq.mоhurd.com"  # Cyrillic о
    puny = "zlaq.xn--mhurd-jye.com"
    assert hostnames.normalize(unicode_name).ascii == puny
    a, b = analyze_domain(unicode_name, watchlist), analyze_domain(puny, watchlist)
    assert a == b
    assert a.domain == unicode_name and a.label == "lookalike"
    assert {"homoglyph:mohurd", "mixed-script:mohurd", "idn"} <= set(a.reasons)
    chinese = analyze_domain("xn--" + "住建部查询".encode("punycode").decode() + ".com",
                             watchlist)
    assert chinese.domain == "住建部查询.com" and "zh-agency:zhujian" in chinese.reasons
    # Full-width letters and the ideographic full stop are what IDNA maps them to.
    assert analyze_domain("ｍｏｈｕｒｄ。com", watchlist).domain == "mohurd.com"


@pytest.mark.parametrize("bad", ["", "   ", "bad..name", "-a.com", "a_b.com", "localhost",
                                 "foo.notasuffix", "com.cn", "xn--zz.com", "*.example.com",
                                 "a" * 64 + ".com", "中文 空格.com"])
def test_invalid_names(watchlist: Watchlist, bad: str) -> None:
    with pytest.raises(InvalidDomain):
        analyze_domain(bad, watchlist)


def test_urls_and_case_are_normalised(watchlist: Watchlist) -> None:
    verdict = analyze_domain("HTTPS://Zlaq.Mohurd.GOV.cn:443/query?x=1", watchlist)
    assert verdict.domain == "zlaq.mohurd.gov.cn" and verdict.label == "official"


def test_fast_path_agrees_with_full_analysis(watchlist: Watchlist) -> None:
    index = index_for(watchlist)
    names = [d for d, *_ in _rows()] + [d for d, _, _ in permutations(watchlist)][::7]
    names += ["www.ck", "foo.ck", "a.b.c.example.co.uk", "x.sch.uk", "shop123.top",
              "city.kawasaki.jp", "cn.com", "gov.cn.com", "g0v-cn.com", "www.usa.gov",
              "www.jst.go.jp", "x.gouv.fr", "mohurd.gov.uk", "www.gv.at"]
    for name in names:
        try:
            fast = analyze_domain(name, watchlist)
        except InvalidDomain:
            with pytest.raises(InvalidDomain):
                _analyze(index, watchlist, name, hostnames.normalize(name))
            continue
        assert fast == _analyze(index, watchlist, name, hostnames.normalize(name)), name


@pytest.mark.parametrize("name", list(FUZZERS))
def test_every_fuzzer_yields_names_the_analysis_catches(watchlist: Watchlist,
                                                        name: str) -> None:
    produced = list(permutations(watchlist, [name]))
    assert produced, name
    caught = sum(analyze_domain(d, watchlist).label == "lookalike" for d, _, _ in produced)
    assert caught / len(produced) >= 0.95, name
    for domain, fuzzer, imitated in produced[:50]:
        assert fuzzer == name and watchlist.site(imitated) is not None
        assert hostnames.normalize(domain).ascii == domain  # ASCII, valid
        assert psl.split(domain).suffix != "gov.cn"


def test_fuzzer_examples(watchlist: Watchlist) -> None:
    def names(fuzzer: str) -> set[str]:
        return {d for d, _, _ in permutations(watchlist, [fuzzer])}

    assert "mohrud.com" in names("transposition")
    assert "mhurd.cn" in names("omission")
    assert "mo-hurd.com" in names("hyphenation")
    assert "xn--mhurd-jye.com" in names("homoglyph")  # Cyrillic о
    assert "m0hurd.com" in names("homoglyph")
    assert "mohurd.top" in names("tld-swap")
    assert "zlaq.mohurd.gov.cn.com" in names("gov-subdomain")
    assert "mohurd-gov.cn" in names("gov-dash")
    assert "tzzycx.com" in names("initialism")
    assert "zhujianbu.com" in names("pinyin")
    assert "hubeizjt.com" in names("region-department")
    assert "mohurdcx.com" in names("query-word")
    with pytest.raises(UnknownFuzzer):
        list(permutations(watchlist, ["nope"]))


def test_watchlist_size_and_user_extension(tmp_path: Path) -> None:
    bundled = load_watchlist()
    assert len(bundled.sites) >= 40
    hosts = {s.host for s in bundled.sites}
    assert {"zlaq.mohurd.gov.cn", "jzsc.mohurd.gov.cn", "www.mohurd.gov.cn", "www.mem.gov.cn",
            "www.chinasafety.gov.cn", "cx.mem.gov.cn"} <= hosts
    extra = tmp_path / "official_sites.yaml"
    extra.write_text("sites:\n  - host: rsj.example.gov.cn\n    name: 示例市人社局\n"
                     "    brands: [shilirenshe]\nquery_words: [yanzhengma]\n", "utf-8")
    extended = load_watchlist(extra)
    assert len(extended.sites) == len(bundled.sites) + 1
    assert analyze_domain("rsj.example.gov.cn", extended).label == "official"
    assert analyze_domain("shilirenshe.com", extended).imitates == "rsj.example.gov.cn"
    assert analyze_domain("shilirenshe.com", bundled).label == "benign"
    extra.write_text("sites:\n  - host: nohost\n    name: x\n", "utf-8")
    with pytest.raises(WatchlistError, match="nohost"):
        load_watchlist(extra)
    with pytest.raises(WatchlistError, match="no such"):
        load_watchlist(tmp_path / "missing.yaml")


def test_no_network_for_the_public_suffix_list(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    psl.extractor.cache_clear()
    try:
        assert psl.split("a.b.example.com.cn") == ("a.b", "example", "com.cn")
        assert psl.split("x.xn--zfr164b").suffix == "xn--zfr164b"
        assert analyze_domain("zlaq.mohurd.gov.cn.example.com", load_watchlist()).is_lookalike
    finally:
        psl.extractor.cache_clear()
    assert psl.snapshot_version().startswith("20")


_LABEL = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-оаеgovcnmhurdzlq住建查询",
                 min_size=1, max_size=20)
_NAMES = st.builds(lambda labels, suffix: ".".join([*labels, suffix]),
                   st.lists(_LABEL, min_size=1, max_size=3),
                   st.sampled_from(["com", "cn", "com.cn", "gov.cn", "top", "net", "go.jp",
                                    "ck", "xn--zfr164b", "notasuffix"]))


def _shared_watchlist() -> Watchlist:
    # Hypothesis runs the test many times; a module-level watchlist keeps its memo warm.
    global _WATCHLIST
    if _WATCHLIST is None:
        _WATCHLIST = load_watchlist()
    return _WATCHLIST


_WATCHLIST: Watchlist | None = None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.one_of(_NAMES, st.text(max_size=40)))
def test_any_input_gives_a_verdict_or_invalid_domain(name: str) -> None:
    watchlist = _shared_watchlist()
    index = index_for(watchlist)
    try:
        verdict = analyze_domain(name, watchlist)
    except InvalidDomain:
        return
    assert verdict.label in ("lookalike", "official", "benign")
    assert 0.0 <= verdict.score <= 1.0
    assert (verdict.label == "lookalike") == (verdict.score >= 0.5)
    assert all(r.isascii() for r in verdict.reasons)
    host = hostnames.normalize(name)
    assert verdict == _analyze(index, watchlist, name, host)  # fast path agrees


IMITATES = REPO / "classifiers" / "data" / "domains_imitates.tsv"


def test_imitates_on_the_labelled_lookalikes(watchlist: Watchlist) -> None:
    expected = dict(line.split("\t") for line in IMITATES.read_text("utf-8").splitlines()
                    if line and not line.startswith("#"))
    lookalikes = {domain for domain, label, *_ in _rows() if label == "lookalike"}
    assert set(expected) <= lookalikes and len(expected) >= 200
    hosts = {site.host for site in watchlist.sites}
    assert set(expected.values()) <= hosts
    wrong = {domain: (site, analyze_domain(domain, watchlist).imitates)
             for domain, site in expected.items()
             if analyze_domain(domain, watchlist).imitates != site}
    # One known miss: mohurd-cx123.com — homoglyph folding turns "123" into letters, so the
    # query word "cx" is not seen and the ministry's home page is named instead of zlaq.
    assert set(wrong) <= {"mohurd-cx123.com"}, wrong


@pytest.mark.parametrize(("domain", "imitates"), [
    ("jzsc-chaxun.com", "jzsc.mohurd.gov.cn"),  # its own token, not the first query portal
    ("gzjs-cx.com", "www.gzjs.gov.cn"),
    ("rsks-cx.cn", "www.cpta.com.cn"),
    ("zfcxjst-sc.com", "jst.sc.gov.cn"),  # a department word + province, not Hebei
    ("zfcxjst.com", "zfcxjst.hebei.gov.cn"),  # the host label itself still names its hosts
    ("zfcxjs-tj.com", "zfcxjs.tj.gov.cn"),  # no brand made up across the hyphen (zfcxjst)
    ("tzsb-cx.com", "cnse.samr.gov.cn"),  # the query word picks the portal of the two named
    ("yingji-chaxun.com", "cx.mem.gov.cn"),  # the agency's home → its query portal
    ("住建部官网.cn", "www.mohurd.gov.cn"),  # 官网 is "official site", not a query
    ("特种作业操作证.com", "cx.mem.gov.cn"),  # named by cx.mem, only a title of zlaq
    ("gov-cn-zscx.com", None),  # a query word alone names no site
])
def test_imitates_ties(watchlist: Watchlist, domain: str, imitates: str | None) -> None:
    verdict = analyze_domain(domain, watchlist)
    assert verdict.label == "lookalike" and verdict.imitates == imitates
