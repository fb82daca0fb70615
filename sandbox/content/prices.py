"""Prices and salaries in the many ways Chinese ads write them."""

from __future__ import annotations

import re

from sandbox.content.pen import Pen


def _yuan(pen: Pen) -> str:
    # "¥" (U+00A5) has no GBK code; the forum uses the full-width sign.
    return "￥" if pen.gbk_safe else "¥"


def _wan(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def certificate_fee(pen: Pen, fees: tuple[float, float]) -> str:
    """Yearly fee for renting out a registered certificate, e.g. "2.5万/年"."""
    low, high = fees
    value = round(pen.rng.uniform(low, high) * 2) / 2 or 0.5
    if value < 1 and pen.chance(0.7):
        return pen.pick(("{y}/年", "{y}一年", "年费{y}元")).format(y=int(value * 10000))
    years = pen.between(2, 3)
    form = pen.pick(
        (
            "{v}万/年",
            "{v}w一年",
            "年薪{v}万起",
            "{v}万/年",
            "{t}万/{n}年",
            "{v}W/年",
            "一年{v}个",
            "{v}万一年（一签{n}年）",
            "{v}万/年 可谈",
        )
    )
    return form.format(v=_wan(value), t=_wan(value * years), n=years)


def monthly_salary(pen: Pen, low_k: int, high_k: int) -> str:
    """On-site salary, e.g. "8000-12000元/月" or "年薪18-25万"."""
    low = pen.between(low_k, high_k)
    high = low + pen.between(2, 6)
    form = pen.pick(("{a}000-{b}000元/月", "{a}-{b}K", "{a}k-{b}k·13薪", "年薪{ya}-{yb}万"))
    return form.format(a=low, b=high, ya=low * 12 // 10, yb=high * 13 // 10)


def goods_price(pen: Pen, low: int, high: int) -> str:
    """Marketplace price for a certificate, course or book, e.g. "¥380"."""
    yuan_sign = _yuan(pen)
    value = pen.between(low, high)
    value = value - value % 10 if value > 100 else value
    form = pen.pick((f"{yuan_sign}{{v}}", "{v}元", f"{yuan_sign}{{v}}", "{v}包邮", "{v}元/套"))
    return form.format(v=value)


def tuition(pen: Pen, low: int, high: int) -> str:
    yuan_sign = _yuan(pen)
    value = pen.between(low, high)
    value = value // 100 * 100 if value > 1000 else value // 10 * 10
    form = pen.pick(("{v}元", f"{yuan_sign}{{v}}", "{v}元/人", "{v}元（含教材）"))
    return form.format(v=value)


_NUMBER = re.compile(r"\d+(?:\.\d+)?")


def nudge(pen: Pen, price: str) -> str:
    """Change the first number in a displayed price a little (a seller editing an ad)."""
    match = _NUMBER.search(price)
    if not match:
        return price + pen.pick(("（可议）", "（急）", "起"))
    old = match.group()
    if "." in old:
        new = _wan(max(0.5, float(old) + pen.pick((-0.5, 0.3, 0.5, 1.0))))
    else:
        value = int(old)
        step = max(1, value // 10)
        new = str(max(1, value + pen.pick((-2, -1, 1, 2)) * step))
    if new == old:
        new = str(int(float(old)) + 1)
    return price[: match.start()] + new + price[match.end() :]
