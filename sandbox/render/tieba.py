"""tieba.baidu-sandbox.cn: a forum in the style of 百度贴吧, served as GBK bytes.

Charset signals are deliberately poor, as on old forums: list pages send `text/html` with no
charset and no meta tag; thread pages send `charset=utf-8` (wrong) and only every other one
carries `<meta charset="gbk">`. Pager links percent-encode kw in GBK; UTF-8 is accepted too.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from sandbox.hosts import SITES, TIEBA_FORUMS
from sandbox.listing import Post
from sandbox.render.page import SANDBOX_NOTE, Page, Query, br_lines, esc

PAGE_SIZE = 50
LIST_TYPE = "text/html"  # no charset at all
THREAD_TYPE = "text/html; charset=utf-8"  # wrong: the bytes are GBK

STYLE = """
body{margin:0;font:12px/1.6 Arial,"SimSun",sans-serif;background:#f2f2f2;color:#333}
#head{background:#fff;border-bottom:1px solid #e5e5e5;height:60px}
#head .inner{width:980px;margin:0 auto;padding-top:12px}
.logo{font-size:24px;color:#2d64b3;font-weight:bold}
.wrap{width:980px;margin:10px auto;background:#fff}
.card_top{padding:16px;border-bottom:1px solid #eee}
.card_title_fname{font-size:20px;font-weight:bold;color:#333}
#thread_list{list-style:none;margin:0;padding:0}
.j_thread_list{padding:10px 16px;border-bottom:1px dotted #ddd}
.threadlist_rep_num{display:inline-block;width:40px;background:#eee;text-align:center;margin-right:10px}
.j_th_tit{font-size:14px;color:#2d64b3}.threadlist_abs{color:#666;margin:4px 0 0 52px}
.pagination-default{padding:16px}.pagination-item{margin:0 4px}
.core_title_txt{font-size:18px;padding:16px;margin:0}
.l_post{display:flex;border-top:1px solid #e1e4e6}
.d_author{width:130px;background:#fbfbfd;padding:16px 10px;text-align:center}
.d_post_content_main{flex:1;padding:16px 20px}
.d_post_content{font-size:14px;line-height:24px;min-height:60px}
.core_reply_tail{text-align:right;color:#999}.tail-info{margin-left:12px}
"""


def gbk_quote(text: str) -> str:
    return quote(text.encode("gbk"))


def list_href(kw: str, pn: int) -> str:
    return f"/f?kw={gbk_quote(kw)}&amp;pn={pn}"


def thread_path(key: str) -> str:
    return f"/p/{key}"


def _shell(title: str, body: str, *, meta: str = "") -> str:
    return (
        f"<!DOCTYPE html>\n<html><head>{meta}{SANDBOX_NOTE}<title>{esc(title)}</title>"
        f'<style>{STYLE}</style></head><body><div id="head"><div class="inner">'
        '<a class="logo" href="/">百度贴吧</a> '
        '<form action="/f" method="get" style="display:inline">'
        '<input name="kw" size="40"><button>进入贴吧</button></form>'
        '<a href="#" rel="nofollow" style="float:right">登录</a></div></div>'
        f'<div class="wrap">{body}</div><div class="footer" style="text-align:center;color:#999;'
        'padding:20px">&copy;2026 Baidu-sandbox 贴吧协议 | 隐私政策 | 吧主制度 | '
        "意见反馈 | 网络谣言警示"
        "</div></body></html>"
    )


def _row(post: Post) -> str:
    t = post.truth
    abstract = t.text.replace("\n", " ")
    abstract = abstract if len(abstract) <= 60 else abstract[:60] + "..."
    return (
        f'<li class=" j_thread_list clearfix" data-tid="{esc(t.key)}">'
        '<div class="col2_left">'
        f'<span class="threadlist_rep_num" title="回复">{len(post.replies)}</span></div>'
        f'<div class="col2_right"><div class="threadlist_lz">'
        f'<a rel="noreferrer" href="{thread_path(t.key)}" title="{esc(t.title)}" target="_blank" '
        f'class="j_th_tit">{esc(t.title)}</a>'
        f'<span class="tb_icon_author" title="主题作者: {esc(post.person)}">'
        f'<a class="frs-author-name" href="#">{esc(post.person)}</a></span></div>'
        f'<div class="threadlist_abs">{esc(abstract)}</div>'
        f'<span class="threadlist_reply_date" title="最后回复时间">{esc(t.posted[5:10])}</span>'
        "</div></li>"
    )


def list_page(kw: str, posts: Sequence[Post], pn: int, total: int) -> str:
    last_pn = max(0, (total - 1) // PAGE_SIZE * PAGE_SIZE)
    pager = []
    if pn > 0:
        pager.append(f'<a class="first pagination-item" href="{list_href(kw, 0)}">首页</a>')
        pager.append(
            f'<a class="pre pagination-item" href="{list_href(kw, max(0, pn - PAGE_SIZE))}">'
            "&lt;上一页</a>"
        )
    for n in range(0, last_pn + 1, PAGE_SIZE):
        if n == pn:
            pager.append(
                f'<span class="pagination-current pagination-item">{n // PAGE_SIZE + 1}</span>'
            )
        else:
            pager.append(
                f'<a class="pagination-item" href="{list_href(kw, n)}">{n // PAGE_SIZE + 1}</a>'
            )
    if pn + PAGE_SIZE < total:
        pager.append(
            f'<a class="next pagination-item" href="{list_href(kw, pn + PAGE_SIZE)}">下一页&gt;</a>'
        )
        pager.append(f'<a class="last pagination-item" href="{list_href(kw, last_pn)}">尾页</a>')
    rows = "".join(_row(p) for p in posts)
    body = (
        '<div class="card_top">'
        f'<a class="card_title_fname" href="{list_href(kw, 0)}">{esc(kw)}吧</a>'
        f" 关注：{1200 + total * 37} 帖子：{9000 + total * 211}"
        '<p class="card_slogan">交流考证经验、施工技术，严禁发布挂证、办证、代考广告</p></div>'
        '<div class="thread_list_top">全部 | 精品 | 吧务公告：发现违规广告请举报</div>'
        f'<ul id="thread_list" class="threadlist_bright j_threadlist_bright">{rows}</ul>'
        f'<div id="frs_list_pager" class="pagination-default clearfix">{"".join(pager)}</div>'
    )
    return _shell(f"{kw}吧-百度贴吧", body)


def _post(author: str, posted: str, lines: Sequence[str], floor: int) -> str:
    return (
        f'<div class="l_post j_l_post l_post_bright" data-floor="{floor}">'
        f'<div class="d_author"><ul class="p_author"><li class="d_name">'
        f'<a class="p_author_name j_user_card" href="#">{esc(author)}</a></li>'
        '<li class="l_badge">Lv.3 工地学徒</li></ul></div>'
        '<div class="d_post_content_main"><div class="p_content"><cc>'
        f'<div id="post_content_{floor}" '
        'class="d_post_content j_d_post_content " style="display:;">'
        f"            {br_lines(lines)}</div></cc></div>"
        f'<div class="core_reply_tail"><span class="floor-num">{floor}楼</span>'
        f'<span class="tail-info">{esc(posted)}</span></div></div></div>'
    )


def thread_page(post: Post, kw: str) -> str:
    t = post.truth
    floors = [_post(post.person, t.posted, post.lines, 1)]
    floors += [_post(r.author, r.posted, [r.text], i + 2) for i, r in enumerate(post.replies)]
    body = (
        '<div class="card_head">'
        f'<a class="card_title_fname" href="{list_href(kw, 0)}">{esc(kw)}吧</a></div>'
        f'<div class="core_title_wrap_bright"><h3 class="core_title_txt pull-left text-overflow" '
        f'title="{esc(t.title)}">{esc(t.title)}</h3>'
        f'<span class="core_title_reply">回复贴：{len(post.replies)}</span></div>'
        f'<div class="p_postlist" id="j_p_postlist">{"".join(floors)}</div>'
    )
    # Every other thread declares its real charset; the rest leave the reader to guess.
    meta = '<meta charset="gbk">' if int(t.key) % 2 == 0 else ""
    return _shell(f"{t.title}_{kw}吧_百度贴吧", body, meta=meta)


def _gbk(markup: str, status: int, content_type: str) -> Page:
    return Page(status, markup.encode("gbk"), content_type)


class Tieba:
    host = SITES["tieba"]

    def __init__(self, posts: Sequence[Post]) -> None:
        self.forums: dict[str, list[Post]] = {kw: [] for kw in TIEBA_FORUMS.values()}
        for post in posts:
            self.forums[TIEBA_FORUMS[post.topic]].append(post)
        self.lists: dict[tuple[str, int], Page] = {}
        for kw, threads in self.forums.items():
            for pn in range(0, max(1, len(threads)), PAGE_SIZE):
                self.lists[kw, pn] = self._list(kw, pn)
        self.threads = {
            thread_path(p.truth.key): _gbk(thread_page(p, TIEBA_FORUMS[p.topic]), 200, THREAD_TYPE)
            for p in posts
        }
        forums = "".join(
            f'<li><a href="{list_href(kw, 0)}">{esc(kw)}吧</a></li>' for kw in self.forums
        )
        self.home = _gbk(
            _shell("百度贴吧——全球领先的中文社区", f"<h2>热门吧</h2><ul>{forums}</ul>"),
            200,
            LIST_TYPE,
        )
        self.no_forum = _gbk(
            _shell("贴吧404", "<h2>抱歉，该吧不存在或暂不开放。</h2>"), 404, LIST_TYPE
        )
        self.gone = _gbk(_shell("贴吧404", "<h2>很抱歉，该贴已被删除。</h2>"), 404, THREAD_TYPE)

    def _list(self, kw: str, pn: int) -> Page:
        threads = self.forums[kw]
        return _gbk(list_page(kw, threads[pn : pn + PAGE_SIZE], pn, len(threads)), 200, LIST_TYPE)

    def route(self, path: str, query: Query) -> Page:
        if path == "/f":
            kw = query.get("kw", "").removesuffix("吧")
            if kw not in self.forums:
                return self.no_forum
            try:
                pn = max(0, int(query.get("pn", "0")))
            except ValueError:
                pn = 0
            page = self.lists.get((kw, pn))
            return page if page is not None else self._list(kw, pn)  # odd offsets: render on demand
        if path == "/":
            return self.home
        return self.threads.get(path, self.gone)
