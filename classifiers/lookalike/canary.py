"""The canary probe: ask a query site about a certificate that cannot exist.

A genuine registry answers "not found"; a fake one, which stores nothing and "verifies"
whatever it is given, answers that the certificate is valid. Why the canary cannot exist:

- the certificate number has the shape of a 建筑施工企业安管人员安全生产考核合格证书 number
  (`京建安C(YYYY)NNNNNNN`) but its year in brackets is before 2004, when that assessment
  and its certificates began (建质〔2004〕59号) — no such certificate was ever issued;
- the 身份证号 has an impossible birth date (30 February) AND a wrong check digit under
  GB 11643-1999 (ISO 7064 MOD 11-2), so no citizen holds it;
- the serial is random per probe, so a fake cannot whitelist a fixed canary, and the number
  ties the exchange on disk to this probe.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from dataclasses import dataclass, field

SCHEME_START_YEAR = 2004  # 建质〔2004〕59号: the first 安管人员 certificates
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

VALID = "valid"  # the site vouched for the impossible certificate: it is fake
NOT_FOUND = "not_found"  # the site said there is no such certificate
UNCLEAR = "unclear"  # an answer came, but says neither
NO_FORM = "no_form"  # no certificate query form to ask through
FAILED = "failed"  # the form could not be submitted (error, captcha, timeout)

# Answers of query sites, checked on the text the submission ADDED to the page.
_NOT_FOUND_RE = re.compile(
    r"未查询到|未查到|查无|不存在|没有找到|未找到|无相关|无此|无记录|无符合|信息有误|不正确|不一致"
)
_STATUS_WORDS = r"有效|正常|合格|通过|已注册|在册"
_VALID_RE = re.compile(
    r"证书有效(?![性期])|真实有效|有效证书|验证通过|核验通过|验证成功|核验成功|查询成功|有效期至"
    r"|已注册|证书正常"
    rf"|(?:状态|结论|结果|有效性)[\s:：为是]*(?:{_STATUS_WORDS})"
)
# A clause saying what to do IF something is wrong ("如信息有误请联系客服", "若查无此证…"), or
# a fake's promise ("查无此证全额退款"), is boilerplate, not the answer; so is a request
# tacked onto a statement ("查无此证请核对" → "查无此证").
_CONDITIONAL_RE = re.compile(
    r"如果|如有|如需|如若|如[发对查信未证]|若|倘若|假如|可能|提示|退款|包退|保证")
_REQUEST_RE = re.compile(r"请|客服|咨询|为准|仅供参考")
_CLAUSE_RE = re.compile(r"[。！？!?；;\n，,]")
_LONE_STATUS_RE = re.compile(rf"\n[ \t]*({_STATUS_WORDS})[ \t]*(?=\n|$)")
# A rendered record: the canary's own number next to a holder's name.
_HOLDER_RE = re.compile(r"(?:姓\s*名|持证人)[\s:：]*[\u4e00-\u9fff·]{2,6}")


def id_check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


@dataclass(frozen=True)
class Canary:
    cert_number: str
    id_number: str
    name: str = "王晓明"
    why: tuple[str, ...] = field(default=())

    def value_for(self, kind: str) -> str | None:
        from classifiers.lookalike import forms

        return {forms.CERT_NUMBER: self.cert_number, forms.ID_NUMBER: self.id_number,
                forms.PERSON_NAME: self.name}.get(kind)

    def as_json(self) -> dict:
        return {"cert_number": self.cert_number, "id_number": self.id_number,
                "name": self.name, "why": list(self.why)}


def make_canary(token: int | None = None) -> Canary:
    """A fresh impossible certificate number and ID number (`token` fixes them, for tests)."""
    rng = secrets.SystemRandom() if token is None else _Seeded(token)
    year = rng.randint(1990, SCHEME_START_YEAR - 1)
    serial = f"{rng.randint(1, 9_999_999):07d}"
    cert = f"京建安C({year}){serial}"
    body = f"110101{rng.randint(1970, 1999)}0230{rng.randint(0, 999):03d}"  # born 30 February
    right = id_check_digit(body)
    wrong = _ID_CHECK[(_ID_CHECK.index(right) + 1 + rng.randint(0, 9)) % 11]
    why = (
        f"证书编号年份{year}早于安管人员安全生产考核制度施行（2004年，建质〔2004〕59号），"
        "不可能存在",
        f"身份证号出生日期为2月30日且校验位应为{right}而非{wrong}（GB 11643-1999），不可能存在",
    )
    return Canary(cert, body + wrong, why=why)


class _Seeded:
    def __init__(self, token: int) -> None:
        import random

        self._rng = random.Random(token)

    def randint(self, a: int, b: int) -> int:
        return self._rng.randint(a, b)


def classify_answer(added_text: str, probe: Canary | None = None) -> str:
    """What the text a submission added to the page says about the canary.

    A positive statement (证书有效, 状态：正常, 考核结果：合格, 已注册 …) or a rendered record
    of the canary number with a holder's name is VALID, whatever boilerplate surrounds it
    ("如信息有误请联系客服"). Only a "not found" stated as the answer outweighs it, and then
    the answer contradicts itself: UNCLEAR, since calling a genuine registry fake costs more
    than missing one fake.
    """
    # A status cell rendered on a line of its own belongs to the label above it.
    text = _LONE_STATUS_RE.sub(r" \1", added_text)
    stated = []
    for clause in _CLAUSE_RE.split(text):
        if clause.strip() and not _CONDITIONAL_RE.search(clause):
            stated.append(_REQUEST_RE.split(clause, maxsplit=1)[0])
    missing = any(_NOT_FOUND_RE.search(clause) for clause in stated)
    valid = any(_VALID_RE.search(clause) for clause in stated)
    if missing:
        return UNCLEAR if valid else NOT_FOUND
    if valid or _shows_record(added_text, probe):
        return VALID
    # Nothing stated outright: "not found" only in a hint or a request still means not found.
    return NOT_FOUND if _NOT_FOUND_RE.search(added_text) else UNCLEAR


def _shows_record(text: str, probe: Canary | None) -> bool:
    if probe is None:
        return False
    flat = re.sub(r"\s+", "", text)
    return probe.cert_number in flat and _HOLDER_RE.search(text) is not None


def added_lines(before: str, after: str) -> str:
    """Lines of the page after submitting that were not on it before."""
    seen = {line.strip() for line in before.splitlines()}
    fresh = (line for line in after.splitlines() if line.strip() and line.strip() not in seen)
    return "\n".join(fresh)


# -- the probe in the browser ---------------------------------------------------------------
_SUBMIT_WORDS = re.compile(r"查\s*询|搜\s*索|提\s*交|验\s*证|核\s*验|确\s*定|search|query|submit",
                           re.I)
MAX_ANSWER_CHARS = 2_000
ANSWER_TIMEOUT_MS = 10_000  # how long a site may take to answer before the answer is "unclear"
# True once the page shows something new (an XHR answer written into the page); a navigation
# destroys the context instead, which ends the wait as well.
_CHANGED_JS = "b => !!document.body && document.body.innerText !== b"
EXCHANGE_TYPES = frozenset({"document", "xhr", "fetch"})


@dataclass
class CanaryResult:
    outcome: str
    canary: Canary | None = None
    form: dict | None = None
    filled: list[dict] = field(default_factory=list)
    answer: str = ""
    started_at: str | None = None
    finished_at: str | None = None
    exchange: object | None = None  # capture.FileRecord of canary-exchange.json
    error: str | None = None

    def as_json(self) -> dict:
        return {
            "outcome": self.outcome, "canary": self.canary.as_json() if self.canary else None,
            "form": {k: self.form.get(k) for k in ("action", "method", "scripted")}
            if self.form else None,
            "filled": self.filled, "answer": self.answer, "started_at": self.started_at,
            "finished_at": self.finished_at, "error": self.error,
            "exchange": self.exchange.as_json() if self.exchange else None,
        }


def run_probe(watch, form: dict, canary: Canary, out) -> CanaryResult:  # noqa: ANN001
    """Fill `form` on the watched page with the canary, submit it, keep the whole exchange.

    Files (in `out`, a capture.CaptureDir): canary-before.png / canary-after.png, each HTTP
    exchange the submission caused as canary-NN-request.bin / canary-NN-response.bin, and
    canary-exchange.json tying them together with timestamps and SHA-256s.
    """
    from playwright.sync_api import Error as PlaywrightError

    from classifiers.lookalike import capture, forms
    from store.clock import iso, utcnow

    page = watch.page
    result = CanaryResult(NO_FORM, canary, form, started_at=iso(utcnow()))
    kinds = [(f, forms.field_kind(f)) for f in form.get("fields", ())]
    if any(kind == forms.CAPTCHA for _, kind in kinds):
        result.outcome, result.error = FAILED, "表单要求验证码，未自动提交"
        return result
    exchanges: list = []

    def keep(response) -> None:  # noqa: ANN001
        if response.request.resource_type in EXCHANGE_TYPES and len(exchanges) < 20:
            exchanges.append((iso(utcnow()), response))

    try:
        for spec, kind in kinds:
            value = canary.value_for(kind) if kind else None
            if value and spec.get("visible", True):
                page.locator(spec["path"]).fill(value, timeout=5_000)
                result.filled.append({"field": spec.get("name") or spec.get("id"),
                                      "label": spec.get("label"), "kind": kind, "value": value})
        if not any(f["kind"] in (forms.CERT_NUMBER, forms.ID_NUMBER) for f in result.filled):
            result.outcome, result.error = FAILED, "查询字段不可见或无法填写"
            return result
        before = page.evaluate("() => document.body ? document.body.innerText : ''")
        out.write("canary-before.png", capture.screenshot(page))
        page.on("response", keep)
        submitted_at = iso(utcnow())
        _submit(page, form, kinds)
        with contextlib.suppress(PlaywrightError):
            page.wait_for_function(_CHANGED_JS, arg=before, timeout=ANSWER_TIMEOUT_MS,
                                   polling=100)
        watch.settle()
        after = page.evaluate("() => document.body ? document.body.innerText : ''")
        out.write("canary-after.png", capture.screenshot(page))
        out.write("canary-after-dom.html", page.content().encode("utf-8"))
    except PlaywrightError as exc:
        result.outcome, result.error = FAILED, str(exc).strip().splitlines()[0][:300]
        return result
    finally:
        page.remove_listener("response", keep)
    added = added_lines(before, after)
    result.answer = added[:MAX_ANSWER_CHARS]
    result.outcome = classify_answer(added, canary)
    result.finished_at = iso(utcnow())
    entries = [_exchange_entry(n, at, resp, out) for n, (at, resp) in enumerate(exchanges)]
    result.exchange = out.write_json("canary-exchange.json", {
        "canary": canary.as_json(), "page_url": page.url, "started_at": result.started_at,
        "submitted_at": submitted_at, "finished_at": result.finished_at,
        "filled": result.filled, "outcome": result.outcome, "answer": result.answer,
        "exchanges": entries,
        "screenshots": {n: out.files[n].as_json() for n in ("canary-before.png",
                                                           "canary-after.png")},
    })
    return result


def _submit(page, form: dict, kinds: list) -> None:  # noqa: ANN001
    buttons = form.get("buttons") or []
    chosen = next((b for b in buttons if _SUBMIT_WORDS.search(b.get("text") or "")), None)
    chosen = chosen or (buttons[0] if buttons else None)
    if chosen:
        page.locator(chosen["path"]).click(timeout=5_000, no_wait_after=True)
        return
    from classifiers.lookalike import forms

    target = next(spec for spec, kind in kinds if kind in (forms.CERT_NUMBER, forms.ID_NUMBER))
    page.locator(target["path"]).press("Enter", timeout=5_000)


def _exchange_entry(n: int, at: str, response, out) -> dict:  # noqa: ANN001
    request = response.request
    entry: dict = {"at": at, "method": request.method, "url": request.url,
                   "resource_type": request.resource_type, "status": response.status}
    try:
        entry["request_headers"] = request.all_headers()
        entry["response_headers"] = response.all_headers()
    except Exception:  # the page was torn down meanwhile
        pass
    body = request.post_data_buffer
    if body:
        entry["request_body"] = out.write(f"canary-{n:02d}-request.bin", body).as_json()
    try:
        entry["response_body"] = out.write(f"canary-{n:02d}-response.bin",
                                           response.body()).as_json()
    except Exception as exc:  # redirects have no body; evicted bodies are noted, not fatal
        entry["response_body_error"] = str(exc).strip().splitlines()[0][:200]
    return entry
