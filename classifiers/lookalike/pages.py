"""Page evidence: visit a site, compare it with the official fingerprints, probe it.

A visit opens `http://DOMAIN/`, follows the site's own "查询" link when the landing page has
no certificate query form, and runs the canary probe through that form. The signals, each
with a weight, are combined noisy-OR into a page score. Each signal gives a stable short code
for `reasons` (`page-…`, like the name side's codes) and a Chinese note for the analyst.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from classifiers.lookalike import canary as canary_mod
from classifiers.lookalike import emblems, forms, icp, similarity
from classifiers.lookalike.capture import BrowserSession, CaptureDir, PageCapture, capture
from classifiers.lookalike.fingerprint import Fingerprint
from store.clock import iso, utcnow

QUERY_LINK = re.compile(r"查询|查证|核验|验证|证书")
MAX_QUERY_LINKS = 2

# Evidence weights (combined noisy-OR). The canary alone is proof; imitation signals add up.
W_CANARY = 0.97
W_TITLE_SAME, W_TITLE_CLOSE = 0.35, 0.15
W_TEXT_SAME, W_TEXT_CLOSE = 0.4, 0.2
W_EMBLEM = 0.3
W_QUERY_FORM = 0.15
W_ICP_ALTERED, W_ICP_SAME, W_ICP_MISSING = 0.35, 0.3, 0.2
W_HOSTILE = 0.05
IMITATION_THRESHOLD = 0.6  # page score from which the page alone makes a lookalike

_KIND_NAMES = {forms.CERT_NUMBER: "证书编号", forms.ID_NUMBER: "身份证号",
               forms.PERSON_NAME: "姓名", forms.PHONE: "手机号", forms.CAPTCHA: "验证码"}


@dataclass
class Visit:
    """Everything one browser visit of a site produced (files in `out`)."""

    domain: str
    out: CaptureDir
    landing: PageCapture
    query_page: PageCapture | None = None
    query_form: dict[str, Any] | None = None
    canary: canary_mod.CanaryResult = field(
        default_factory=lambda: canary_mod.CanaryResult(canary_mod.NO_FORM))
    manifest: Any = None  # capture.FileRecord of manifest.json

    @property
    def pages(self) -> list[PageCapture]:
        return [p for p in (self.landing, self.query_page) if p is not None]

    @property
    def live(self) -> bool:
        return self.landing.dom is not None


def visit(session: BrowserSession, domain: str, out_dir: Path, probe: bool = True,
          token: int | None = None, meta: dict[str, Any] | None = None) -> Visit:
    """Capture the site's landing and query pages and (when `probe`) run the canary.

    `meta` (how the domain was found and resolved) goes into capture.json with the
    environment, started/finished times and every page's record."""
    started = iso(utcnow())
    out = CaptureDir(out_dir)
    with session.page() as watch:
        landing = capture(watch, f"http://{domain}/", out, "landing")
        result = Visit(domain, out, landing)
        form = forms.query_form(landing.forms)
        if form is None and landing.dom is not None:
            for link in _query_links(landing)[:MAX_QUERY_LINKS]:
                page = capture(watch, link, out, "query")
                result.query_page = page
                form = forms.query_form(page.forms)
                if form is not None:
                    break
        result.query_form = form
        if probe and form is not None:
            result.canary = canary_mod.run_probe(watch, form, canary_mod.make_canary(token), out)
    out.write_json("capture.json", {
        "domain": domain, "started_at": started, "finished_at": iso(utcnow()),
        "environment": session.environment(), "meta": meta or {},
        "pages": [p.as_json() for p in result.pages],
        "query_form": form, "canary": result.canary.as_json()})
    result.manifest = out.seal()
    return result


def _query_links(page: PageCapture) -> list[str]:
    """Same-host links whose words promise a certificate query, best first, no repeats."""
    host = urlsplit(page.final_url).hostname
    seen: list[str] = []
    for link in page.links:
        href = link.get("href") or ""
        parts = urlsplit(href)
        if parts.scheme not in ("http", "https") or parts.hostname != host or not parts.path:
            continue
        if parts.fragment and href.split("#")[0] == page.final_url.split("#")[0]:
            continue
        if QUERY_LINK.search(link.get("text") or "") and href not in seen:
            seen.append(href.split("#")[0])
    return list(dict.fromkeys(seen))


@dataclass
class PageSignals:
    """How much a visited page imitates an official site, and what the canary said."""

    live: bool
    final_url: str = ""
    status: int | None = None
    title: str = ""
    imitates: str | None = None  # set only when the page imitates (or the canary proved fake)
    compared_with: str | None = None  # the official fingerprint the page was measured against
    title_similarity: float = 0.0
    text_similarity: float = 0.0
    form_asks: list[str] = field(default_factory=list)
    emblem: dict[str, Any] | None = None
    icp: dict[str, Any] = field(default_factory=dict)
    canary: str = canary_mod.NO_FORM
    canary_number: str | None = None
    hostile: list[str] = field(default_factory=list)
    score: float = 0.0  # all page evidence, canary included
    imitation_score: float = 0.0  # resemblance to the official site alone (no canary)
    reasons: list[str] = field(default_factory=list)  # stable codes
    notes: list[str] = field(default_factory=list)  # the same in Chinese, for people

    def add(self, code: str, note: str, weights: list[float] | None = None,
            weight: float = 0.0) -> None:
        self.reasons.append(code)
        self.notes.append(note)
        if weights is not None:
            weights.append(weight)

    @property
    def imitation(self) -> bool:
        return self.imitation_score >= IMITATION_THRESHOLD

    def as_json(self) -> dict[str, Any]:
        return {"live": self.live, "final_url": self.final_url, "status": self.status,
                "title": self.title, "imitates": self.imitates,
                "compared_with": self.compared_with,
                "title_similarity": round(self.title_similarity, 3),
                "text_similarity": round(self.text_similarity, 3), "form_asks": self.form_asks,
                "emblem": self.emblem, "icp": self.icp, "canary": self.canary,
                "canary_number": self.canary_number, "hostile": self.hostile,
                "score": round(self.score, 3), "imitation_score": round(self.imitation_score, 3),
                "reasons": self.reasons, "notes": self.notes}


def is_gov_cn(domain: str) -> bool:
    return domain == "gov.cn" or domain.endswith(".gov.cn")


def signals(v: Visit, fingerprints: dict[str, Fingerprint], prefer: str | None = None
            ) -> PageSignals:
    """Score the visit against the closest fingerprint (`prefer`, the host the name imitates,
    wins a near tie); a site that has a fingerprint of its own is compared with that."""
    if not v.live:
        dead = PageSignals(live=False)
        dead.add("page-unreachable", f"页面无法打开：{v.landing.error or '无响应'}")
        return dead
    last = v.pages[-1]
    out = PageSignals(live=True, final_url=v.landing.final_url, status=v.landing.status,
                      title=v.landing.title)
    text = "\n".join(p.text for p in v.pages)
    mine = similarity.shingles(text)
    titles = [p.title for p in v.pages]
    images = [i for p in v.pages for i in p.images]
    claims = icp.Claims(tuple(dict.fromkeys(c for p in v.pages for c in p.claims.icp)),
                        tuple(dict.fromkeys(c for p in v.pages for c in p.claims.gongan)))
    own = fingerprints.get(v.domain)
    candidates = [own] if own else list(fingerprints.values())
    best, best_key = None, -1.0
    for fp in sorted(candidates, key=lambda f: f.domain):
        key = (max(similarity.title_similarity(t, fp.titles) for t in titles)
               + similarity.containment(mine, fp.shingles) + (0.05 if fp.domain == prefer else 0))
        if key > best_key:
            best, best_key = fp, key
    weights: list[float] = []
    gov = is_gov_cn(v.domain)
    if best is not None and best.domain != v.domain:
        out.compared_with = best.domain
        _compare(out, weights, best, titles, mine, images, claims, fingerprints, gov)
    elif best is not None:
        out.add("page-is-fingerprint", f"这是官方网站{best.domain}本身（指纹来源）")
    if v.query_form is not None:
        out.form_asks = forms.asks_for(v.query_form)
        asked = "、".join(_KIND_NAMES.get(k, k) for k in out.form_asks)
        counts = best is not None and best.domain != v.domain
        out.add("page-query-form:" + "+".join(out.form_asks),
                f"页面有证书查询表单，要求填写{asked}", weights if counts else None, W_QUERY_FORM)
    out.imitation_score = _noisy_or(weights)
    _canary(out, weights, v.canary)
    hostile = [f"弹窗“{d['message'][:30]}”" for d in last.dialogs[:2]]
    hostile += [f"自动打开新窗口 {u}" for u in last.popups[:2]]
    if len(v.landing.redirects) > 2:
        hostile.append("跳转 " + " → ".join(r["url"] for r in v.landing.redirects[:4]))
    if hostile:
        out.hostile = hostile
        out.add("page-hostile", "可疑页面行为：" + "；".join(hostile), weights, W_HOSTILE)
    out.score = _noisy_or(weights)
    if out.imitation or out.canary == canary_mod.VALID:
        out.imitates = out.compared_with
    return out


def _noisy_or(weights: list[float]) -> float:
    miss = 1.0
    for w in weights:
        miss *= 1.0 - w
    return 1.0 - miss


def _compare(out: PageSignals, weights: list[float], fp: Fingerprint, titles: list[str],
             mine: set[int], images: list[dict[str, Any]], claims: icp.Claims,
             fingerprints: dict[str, Fingerprint], gov: bool) -> None:
    out.title_similarity = max(similarity.title_similarity(t, fp.titles) for t in titles)
    out.text_similarity = similarity.containment(mine, fp.shingles)
    ts, xs = out.title_similarity, out.text_similarity
    if ts >= 0.8:
        out.add(f"page-title-same:{fp.domain}",
                f"标题与官方网站{fp.domain}几乎相同（相似度{ts:.2f}）", weights, W_TITLE_SAME)
    elif ts >= 0.6:
        out.add(f"page-title-close:{fp.domain}",
                f"标题与官方网站{fp.domain}相近（相似度{ts:.2f}）", weights, W_TITLE_CLOSE)
    if xs >= 0.6:
        out.add(f"page-text-same:{fp.domain}",
                f"页面文字与官方网站{fp.domain}重合{xs:.0%}", weights, W_TEXT_SAME)
    elif xs >= 0.3:
        out.add(f"page-text-close:{fp.domain}",
                f"页面文字与官方网站{fp.domain}部分重合（{xs:.0%}）", weights, W_TEXT_CLOSE)
    references = [e for f in fingerprints.values() for e in f.emblems]
    match = emblems.best_match(images, references)
    if match is not None:
        out.emblem = match.as_json()
        if match.matched and not gov:
            out.add("page-emblem", "非政府域名使用国徽/官方标识图片"
                    f"（感知哈希距离 {match.phash_distance}/64）", weights, W_EMBLEM)
    imitating = bool(weights) or (match is not None and match.matched)
    status = icp.compare(claims, fp.claims)
    out.icp = {"status": status, "claims": claims.as_json(), "official": fp.claims.as_json()}
    if status == icp.ALTERED:
        out.add("page-icp-altered", f"页脚备案号{'、'.join(claims.icp)}与官方"
                f"{'、'.join(fp.claims.icp)}仅差一两位数字（篡改）", weights, W_ICP_ALTERED)
    elif status == icp.SAME and not gov:
        out.add("page-icp-official", f"冒用官方网站的备案号{'、'.join(claims.icp)}",
                weights, W_ICP_SAME)
    elif status == icp.MISSING and imitating:
        out.add("page-icp-missing", "页面仿冒官方网站，但页脚没有ICP备案号",
                weights, W_ICP_MISSING)


def _canary(out: PageSignals, weights: list[float], result: canary_mod.CanaryResult) -> None:
    out.canary = result.outcome
    number = result.canary.cert_number if result.canary else None
    out.canary_number = number
    if result.outcome == canary_mod.VALID:
        why = result.canary.why[0] if result.canary and result.canary.why else ""
        out.add("page-canary-valid", f"查询探针：提交不可能存在的证书编号{number}，网站回复"
                f"“证书有效”（{why}）——真实查询系统不会如此", weights, W_CANARY)
    elif result.outcome == canary_mod.NOT_FOUND:
        out.add("page-canary-not-found",
                f"查询探针：提交不可能存在的证书编号{number}，网站回复查无此证（正常）")
    elif result.outcome == canary_mod.UNCLEAR:
        out.add("page-canary-unclear", "查询探针：已提交，回复既未确认也未否认")
    elif result.outcome == canary_mod.FAILED:
        out.add("page-canary-failed", f"查询探针未能完成：{result.error}")


# -- the combined verdict ---------------------------------------------------------------------
LOOKALIKE, OFFICIAL, BENIGN = "lookalike", "official", "benign"


@dataclass
class Verdict:
    domain: str
    label: str
    score: float
    imitates: str | None
    reasons: list[str]
    page: PageSignals | None = None
    notes: list[str] = field(default_factory=list)  # Chinese, for the summary and reports

    def as_json(self) -> dict[str, Any]:
        """The check-domain contract, plus `page` (signals, notes) when the page was seen."""
        return {"domain": self.domain, "label": self.label, "score": round(self.score, 3),
                "imitates": self.imitates, "reasons": self.reasons,
                "page": self.page.as_json() if self.page else None, "notes": self.notes}


def combine(name: Any, page: PageSignals | None,
            note: tuple[str, str] | None = None) -> Verdict:
    """Name verdict + page evidence. `name` has label, score, imitates, reasons.

    - a canary answered "证书有效" is proof: lookalike, whatever the name says (an official
      watchlist domain excepted: that would be a fault to report, not a fake);
    - a page that imitates an official site (score ≥ 0.6) makes a lookalike of a name that is
      not on .gov.cn;
    - otherwise the name's label stands; page facts are added to the reasons.
    """
    reasons = list(name.reasons)
    imitates = name.imitates or (page.imitates if page else None)
    label, score = name.label, float(name.score)
    if page is None:
        notes = []
        if note:
            reasons.append(note[0])
            notes.append(note[1])
        return Verdict(name.domain, label, score, imitates, reasons, None, notes)
    reasons += page.reasons
    if name.label == OFFICIAL:
        if page.canary == canary_mod.VALID:
            page.add("official-vouched-canary",
                     "注意：官方网站对不可能存在的证书回复有效，请人工核查")
            reasons.append("official-vouched-canary")
        return Verdict(name.domain, OFFICIAL, score, name.imitates, reasons, page, page.notes)
    if page.canary == canary_mod.VALID or (page.imitation and not is_gov_cn(name.domain)):
        return Verdict(name.domain, LOOKALIKE, max(score, page.score), imitates, reasons, page,
                       page.notes)
    return Verdict(name.domain, label, max(score, page.score) if label == LOOKALIKE else score,
                   imitates, reasons, page, page.notes)


def fingerprint_visit(v: Visit, created_at: str | None = None, browser: str = "") -> Fingerprint:
    from classifiers.lookalike.fingerprint import from_captures

    return from_captures(v.domain, v.pages, created_at or iso(utcnow()),
                         capture_dir=str(v.out.root), browser=browser)


def live_check(verdicts: list[Any], watchlist: Any, config: Any) -> Any:
    """`certwatch check-domain --fetch`: see `hunt.live_check`."""
    from classifiers.lookalike.hunt import live_check as run

    yield from run(verdicts, watchlist, config)
