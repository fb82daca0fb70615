"""What a page's forms ask for: certificate number, ID number, name, phone, captcha.

Fields are described by the browser capture (`capture.FORMS_JS`): tag, type, name, id, the
text of their label or the text just before them, and their placeholder. Names on fake sites
are often meaningless (`q1`), so the visible words decide as much as the attribute names.
"""

from __future__ import annotations

import re
from typing import Any

CERT_NUMBER = "cert_number"
ID_NUMBER = "id_number"
PERSON_NAME = "name"
PHONE = "phone"
CAPTCHA = "captcha"

# Checked in this order: "证书编号" must win over the "号" of an ID number, and a captcha
# field labelled "验证码" must not count as anything else.
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (CAPTCHA, re.compile(r"验证码|captcha|yzm|vcode|checkcode", re.I)),
    (ID_NUMBER, re.compile(r"身份证|证件号码|证件号|sfz|idcard|id_card|idno|identity", re.I)),
    (CERT_NUMBER, re.compile(r"证书编号|证书号|证号|操作证号|zsbh|zsh\b|certno|cert_no|certificate"
                             r"|^cert", re.I)),
    (PHONE, re.compile(r"手机|电话|联系方式|mobile|phone|^tel$|^sj$", re.I)),
    (PERSON_NAME, re.compile(r"姓名|持证人|^xm$|^name$|realname|username", re.I)),
)
TEXT_TYPES = frozenset({"", "text", "search", "tel", "number"})


def field_kind(field: dict[str, Any]) -> str | None:
    if field.get("tag") == "input" and (field.get("type") or "").lower() not in TEXT_TYPES:
        return None
    words = [field.get(k) or "" for k in ("label", "placeholder", "name", "id", "aria")]
    for kind, pattern in _KINDS:
        if any(pattern.search(w) for w in words):
            return kind
    return None


def asks_for(form: dict[str, Any]) -> list[str]:
    kinds = {field_kind(f) for f in form.get("fields", ())}
    return sorted(k for k in kinds if k)


def is_query_form(form: dict[str, Any]) -> bool:
    """A certificate query: it asks for a certificate number or an ID number."""
    kinds = asks_for(form)
    return CERT_NUMBER in kinds or ID_NUMBER in kinds


def query_form(forms: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The form a certificate check would go through (a certificate number beats an ID)."""
    ranked = sorted((f for f in forms if is_query_form(f)),
                    key=lambda f: (CERT_NUMBER not in asks_for(f), f.get("index", 0)))
    return ranked[0] if ranked else None


def summary(forms: list[dict[str, Any]]) -> list[list[str]]:
    """Per form, the kinds of fields it asks for (forms that ask for nothing left out)."""
    return [kinds for kinds in (asks_for(f) for f in forms) if kinds]
