"""The ICP licence and 公安备案 numbers a page claims in its footer, and how they compare.

Every website in mainland China must show its MIIT ICP filing number (e.g. 京ICP备05005012号-3)
and usually its public-security filing (京公网安备 11010802030155号). A fake that copies an
official page either drops them, keeps the official numbers (on a domain they do not belong
to), or alters a digit so a casual reader sees the same thing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
ICP_RE = re.compile(rf"([{_PROVINCES}])\s*ICP\s*([备证])\s*(\d{{5,12}})\s*号(?:\s*-\s*(\d+))?")
GONGAN_RE = re.compile(rf"([{_PROVINCES}])\s*公网安备\s*(\d{{10,16}})\s*号?")


@dataclass(frozen=True)
class Claims:
    icp: tuple[str, ...] = ()
    gongan: tuple[str, ...] = ()

    def as_json(self) -> dict[str, list[str]]:
        return {"icp": list(self.icp), "gongan": list(self.gongan)}


def claims(text: str) -> Claims:
    icp = []
    for m in ICP_RE.finditer(text):
        number = f"{m[1]}ICP{m[2]}{m[3]}号" + (f"-{m[4]}" if m[4] else "")
        if number not in icp:
            icp.append(number)
    gongan = []
    for m in GONGAN_RE.finditer(text):
        number = f"{m[1]}公网安备{m[2]}号"
        if number not in gongan:
            gongan.append(number)
    return Claims(tuple(icp), tuple(gongan))


def _digits(number: str) -> str:
    return re.sub(r"\D", "", number.split("-")[0])


def _near(a: str, b: str) -> bool:
    """Same length and at most two digits differ (a swapped pair, a changed digit)."""
    da, db = _digits(a), _digits(b)
    return len(da) == len(db) and 0 < sum(x != y for x, y in zip(da, db, strict=True)) <= 2


# Outcomes of comparing a candidate's claims with the official site's.
SAME = "same"  # the official numbers themselves
ALTERED = "altered"  # a number one or two digits away from the official one
MISSING = "missing"  # no ICP claim at all
OTHER = "other"  # its own, unrelated numbers


def compare(candidate: Claims, official: Claims) -> str:
    mine = candidate.icp + candidate.gongan
    if not candidate.icp:
        return MISSING
    theirs = official.icp + official.gongan
    if any(_digits(m) == _digits(t) for m in mine for t in theirs):
        return SAME
    if any(_near(m, t) for m in mine for t in theirs):
        return ALTERED
    return OTHER
