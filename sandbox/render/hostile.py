"""www.hostile-sandbox.cn: a shady 分类信息/黄页 site full of crawler traps.

/list/ is one table of `tr.info-row` rows with `a.info-link` links. Besides ordinary listings
(/info/{key}.html) it links, as if they were listings, to: a redirect loop (/loop/a <-> /loop/b),
rate-limited pages (/info/rl-N.html: 429 twice, then
200), a slow page, a huge streamed page, a malformed page and a page with hostile markup.
Its pager offers "browse by month" (`a.date-nav`), an endless calendar (/calendar/YYYY-MM/)
whose `a.prev-month` / `a.next-month` links never run out: the pagination trap.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from functools import lru_cache

from sandbox.content.catalog import XSS_LINK_TEXT
from sandbox.hosts import SITES
from sandbox.listing import Post
from sandbox.render.page import (
    EFFECT_HUGE,
    EFFECT_RATELIMIT,
    EFFECT_SLOW,
    SANDBOX_NOTE,
    Page,
    Query,
    esc,
    html_page,
    paragraphs,
    redirect,
)

STYLE = """
body{margin:0;font:12px/1.8 SimSun,Arial;background:#fff url() repeat-x}
.top{background:#c00;color:#ff0;padding:6px 12px;font-weight:bold}
.marquee{background:#ffffe0;border:1px solid #fc0;padding:4px;color:#c00}
.wrap{width:960px;margin:0 auto}.info-list{border-collapse:collapse;width:100%}
.info-row td{border-bottom:1px dashed #ccc;padding:6px}.info-link{color:#00c;font-size:14px}
.title{font-size:20px;color:#c00}.content{border:1px solid #ddd;padding:12px;font-size:14px}
.price{color:red;font-weight:bold}.contact{color:#090;font-size:16px}
"""

# Corners listed on /list/ as if they were ads: (path, title shown, position in the list).
CORNERS: tuple[tuple[str, str, int], ...] = (
    ("/loop/a", "【置顶】各类证书加急办理入口（点击进入）", 0),
    ("/info/slow.html", "全国证书查询网站汇总（加载较慢请耐心等待）", 5),
    ("/info/huge.html", "2026年各类资格证书名录大全（完整版）", 8),
)


def _shell(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8">{SANDBOX_NOTE}<title>{esc(title)}'
        "</title>"
        f'<style>{STYLE}</style></head><body><div class="top">全国证书信息港 · 分类信息 · 黄页大全'
        "</div>"
        '<div class="marquee">热烈祝贺本站信息突破100万条！发布信息请联系站长，置顶推广优惠中……'
        f'</div><div class="wrap">{body}</div>'
        '<div class="foot" style="text-align:center;color:#999">'
        "本站信息由网友发布，真实性请自行甄别 | 沙箱站点</div></body></html>"
    )


def info_path(key: str) -> str:
    return f"/info/{key}.html"


def _row(href: str, title: str, area: str, date: str) -> str:
    return (
        f'<tr class="info-row"><td class="t"><a class="info-link" href="{href}" target="_blank">'
        f'{esc(title)}</a></td><td class="info-area">{esc(area)}</td>'
        f'<td class="info-date">{esc(date)}</td></tr>'
    )


def list_page(posts: Sequence[Post]) -> str:
    rows = [
        _row(info_path(p.truth.key), p.truth.title, p.truth.region or "", p.truth.posted)
        for p in posts
    ]
    for href, title, position in CORNERS:
        rows.insert(min(position, len(rows)), _row(href, title, "全国", "2026-11-20"))
    body = (
        '<h2 style="color:#c00">最新信息</h2><table class="info-list" cellspacing="0">'
        f'{"".join(rows)}</table><p class="pages">共 {len(rows)} 条 · 第 1/1 页 · 按月浏览：'
        '<a class="date-nav" href="/calendar/2026-11/">2026年11月</a></p>'
    )
    return _shell("最新信息列表 - 全国证书信息港", body)


def _fields(post: Post) -> str:
    t = post.truth
    parts = [
        f'<span class="area">{esc(t.region or "")}</span>',
        f'<span class="date">{esc(t.posted)}</span>',
    ]
    if t.price:
        parts.append(f'价格：<span class="price">{esc(t.price)}</span>')
    return " ".join(parts)


def _contact(post: Post) -> str:
    contact = post.truth.contact
    return (
        f'<p class="lx">联系方式：<span class="contact">{esc(contact)}</span></p>'
        if contact
        else ""
    )


def detail_page(post: Post) -> str:
    t = post.truth
    body = (
        f'<p><a href="/list/">返回列表</a></p><h1 class="title">{esc(t.title)}</h1>'
        f'<div class="meta">{_fields(post)}</div><div class="content">{paragraphs(post.lines)}'
        "</div>"
        f"{_contact(post)}<p>浏览次数：{int(t.key[-3:]) if t.key[-3:].isdigit() else 88} 次</p>"
    )
    return _shell(f"{t.title} - 全国证书信息港", body)


def xss_page(post: Post) -> str:
    """Escaped script text in the title; a live onerror image and a javascript: link in the body."""
    t = post.truth
    parts = []
    for i, line in enumerate(post.lines):
        if line == XSS_LINK_TEXT:
            parts.append(f'<p><a href="javascript:alert(document.cookie)">{esc(line)}</a></p>')
        else:
            parts.append(f"<p>{esc(line)}</p>")
        if i == 0:
            parts.append('<img src=x onerror="alert(1)">')
    body = (
        f'<p><a href="/list/">返回列表</a></p><h1 class="title">{esc(t.title)}</h1>'
        f'<div class="meta">{_fields(post)}</div><div class="content">{"".join(parts)}</div>'
        f"{_contact(post)}"
    )
    return _shell(f"{t.title} - 全国证书信息港", body)


def malformed_page(post: Post) -> str:
    """Broken in the ways old hand-edited pages are, yet lxml still finds every field."""
    t = post.truth
    lines = "".join(f"<p>{esc(line)}" for line in post.lines)  # no </p>
    contact = f'<span class="contact">{esc(t.contact)}</span>' if t.contact else ""
    price = f"价格：<span class=price>{esc(t.price)}</span>" if t.price else ""
    return (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        f"<title>{esc(t.title)}</title><style>body{{font-size:12px}}</style></head>\n"
        "<body bgcolor=#ffffff>\n<div id=top><table width=960><tr><td><a href=/list/>返回列表</a>"
        "<td><font color=red>热烈庆祝本站改版成功！！</td></tr></table>\n</span></div></div>\n"
        f'<div class="wrap"><center>\n<h1 class="title">{esc(t.title)}</h1>\n\x00\n'
        f'<div class=meta><span class="area">{esc(t.region or "")}</span> '
        f'<span class="date">{esc(t.posted)}</span> {price}</div>\n'
        "<b><i>【推荐信息】</b></i>\n"
        f'<div class="content">{lines}</div>\n'
        f"<table><tr><td>联系方式：{contact}</td></tr>\n"
        "<p>更多信息<a href=/list/>点击这里</div></td>\x00\n"
        "<!-- stat code -->\n<script>var _hmt=_hmt||[];</script>\n"
    )


def month_page(year: int, month: int) -> str:
    prev_y, prev_m = (year, month - 1) if month > 1 else (year - 1, 12)
    next_y, next_m = (year, month + 1) if month < 12 else (year + 1, 1)
    days = "".join(
        f'<li><a href="/calendar/{year:04d}-{month:02d}/{d:02d}.html">{month}月{d}日考试安排</a>'
        "</li>"
        for d in (1, 8, 15, 22)
    )
    body = (
        f"<h2>{year}年{month}月 证书考试日历</h2>"
        f'<p><a class="prev-month" href="/calendar/{prev_y:04d}-{prev_m:02d}/">&lt;&lt; 上个月'
        "</a> | "
        f'<a class="next-month" href="/calendar/{next_y:04d}-{next_m:02d}/">下个月 &gt;&gt;</a></p>'
        f"<ul>{days}</ul><p>考试安排以各地主管部门公布为准。</p>"
    )
    return _shell(f"{year}年{month}月考试日历 - 全国证书信息港", body)


def day_page(year: int, month: int, day: int) -> str:
    body = (
        f"<h2>{year}年{month}月{day}日 考试安排</h2><p>暂无安排。</p>"
        f'<p><a href="/calendar/{year:04d}-{month:02d}/">返回{year}年{month}月</a></p>'
    )
    return _shell(f"{year}年{month}月{day}日考试安排", body)


SLOW_PAGE = _shell(
    "全国证书查询网站汇总",
    "<h1>全国证书查询网站汇总</h1><p>本页收录各地证书查询入口，数据量大，加载较慢。</p>",
)


def huge_parts(total: int) -> tuple[bytes, bytes, bytes, int, bytes]:
    """(head, row, tail, row count, padding) whose lengths add up to exactly `total` bytes."""
    head = _shell("2026年各类资格证书名录大全", '<table class="info-list">').encode("utf-8")
    head = head[: head.rindex(b'</div><div class="foot"')]  # keep the table open
    tail = b"</table></div></body></html>"
    row = (
        '<tr class="info-row"><td>资格证书名录条目</td><td>全国</td><td>2026-11-20</td></tr>\n'
    ).encode()
    room = max(0, total - len(head) - len(tail))
    count, spare = divmod(room, len(row))
    return head, row, tail, count, b" " * spare


def huge_chunks(total: int, chunk_rows: int = 512) -> Iterator[bytes]:
    head, row, tail, count, padding = huge_parts(total)
    yield head
    block = row * chunk_rows
    full, rest = divmod(count, chunk_rows)
    for _ in range(full):
        yield block
    yield row * rest + padding
    yield tail


_MONTH = re.compile(r"/calendar/(\d{4})-(\d{2})/(?:(\d{2})\.html)?")


@lru_cache(maxsize=4096)
def _calendar(path: str) -> Page | None:
    match = _MONTH.fullmatch(path)
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not (1 <= year <= 9999 and 1 <= month <= 12):
        return None
    if match[3] is None:
        return html_page(month_page(year, month))
    day = int(match[3])
    return html_page(day_page(year, month, day)) if 1 <= day <= 31 else None


class Hostile:
    host = SITES["hostile"]

    def __init__(self, posts: Sequence[Post]) -> None:
        self.pages: dict[str, Page] = {"/list/": html_page(list_page(posts))}
        for post in posts:
            path = info_path(post.truth.key)
            if post.special == "xss":
                self.pages[path] = html_page(xss_page(post))
            elif post.special == "malformed":
                self.pages[path] = html_page(malformed_page(post))
            elif post.special == "ratelimit":
                page = html_page(detail_page(post))
                self.pages[path] = Page(
                    page.status, page.body, page.content_type, effect=EFFECT_RATELIMIT
                )
            else:
                self.pages[path] = html_page(detail_page(post))
        slow = html_page(SLOW_PAGE)
        self.pages["/info/slow.html"] = Page(200, slow.body, slow.content_type, effect=EFFECT_SLOW)
        self.pages["/info/huge.html"] = Page(200, b"", slow.content_type, effect=EFFECT_HUGE)
        self.pages["/loop/a"] = redirect("/loop/b")
        self.pages["/loop/b"] = redirect("/loop/a")
        self.pages["/"] = html_page(
            _shell("全国证书信息港", '<p><a href="/list/">进入最新信息</a></p>')
        )
        self.not_found = html_page(
            _shell("信息不存在", "<h2>该信息已过期或被删除</h2>"), status=404
        )

    def route(self, path: str, query: Query) -> Page:
        page = self.pages.get(path)
        if page is None and path.startswith("/calendar/"):
            page = _calendar(path)
        return page or self.not_found
