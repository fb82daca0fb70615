"""jobs.58-sandbox.cn: a job board in the style of 58同城 (list pages + .shtml details)."""

from __future__ import annotations

from collections.abc import Sequence

from sandbox.hosts import SITES
from sandbox.listing import Post
from sandbox.render.page import SANDBOX_NOTE, Page, Query, esc, html_page, paragraphs

PAGE_SIZE = 20

STYLE = """
body{margin:0;font:14px/1.6 "Microsoft YaHei",Arial,sans-serif;color:#333;background:#f4f4f4}
a{color:#333;text-decoration:none}a:hover{color:#ff552e}
#header{background:#fff;border-bottom:2px solid #ff552e;height:56px}
#header .w{width:1190px;margin:0 auto;display:flex;align-items:center;gap:24px}
.logo{font-size:26px;font-weight:bold;color:#ff552e}.nav a{margin-right:18px}
.breadcrumb{width:1190px;margin:10px auto;color:#999;font-size:12px}
.main{width:1190px;margin:0 auto;display:flex;gap:16px}.left{flex:1;background:#fff}
.right{width:280px}.ad{background:#fff7e6;border:1px solid #ffd591;padding:10px;margin-bottom:10px}
.job-list{list-style:none;margin:0;padding:0}.job-item{display:flex;justify-content:space-between;
padding:16px 20px;border-bottom:1px solid #eee}.job-title{font-size:16px;color:#0b6fd0}
.salary{color:#ff552e;font-weight:bold;margin-right:12px}.area,.pub-date,.comp{color:#999;font-size:12px}
.pager{padding:20px;text-align:center}.pager a,.pager span{display:inline-block;padding:4px 10px;
border:1px solid #ddd;margin:0 2px}.pager .cur{background:#ff552e;color:#fff;border-color:#ff552e}
#footer{margin-top:30px;padding:20px 0;background:#fff;text-align:center;color:#999;font-size:12px}
.job-desc p{margin:6px 0}
.tip{background:#fffbe6;border:1px dashed #f0c36d;padding:8px;font-size:12px}
"""

HEADER = """<div id="header"><div class="w"><a class="logo" href="/">58同城</a>
<span class="city">全国<a href="/" class="change-city">[切换城市]</a></span>
<div class="nav"><a href="/">首页</a><a href="/zhaopin/">招聘</a><a href="#">租房</a>
<a href="#">二手车</a>
<a href="#">二手物品</a><a href="#">本地服务</a></div>
<div class="login"><a href="#" rel="nofollow">登录</a> | <a href="#" rel="nofollow">注册</a></div>
</div></div>"""

FOOTER = """<div id="footer"><p><a href="#">关于58</a> | <a href="#">联系我们</a> |
<a href="#">帮助中心</a>
| <a href="#">招聘安全指南</a></p>
<p>Copyright &copy; 2005-2026 58-sandbox.cn 版权所有 本站为测试沙箱</p></div>"""

SIDE_ADS = """<div class="right"><div class="ad"><b>【广告】</b>装修贷低至3.4%，最快当天放款</div>
<div class="ad"><b>【广告】</b>职场招聘会·本周六 会展中心</div>
<div class="ad">求职安全提示：任何以招聘为名收取押金、要求“挂靠证书”的，请立即举报。</div></div>"""


def _shell(title: str, crumb: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">{SANDBOX_NOTE}'
        f"<title>{esc(title)}</title>"
        '<meta name="keywords" content="招聘,求职,建筑工程招聘,58同城">'
        f"<style>{STYLE}</style></head><body>{HEADER}"
        f'<div class="breadcrumb"><a href="/">58同城</a> &gt; {crumb}</div>'
        f'<div class="main">{body}{SIDE_ADS}</div>{FOOTER}</body></html>'
    )


def list_path(page: int) -> str:
    return "/zhaopin/" if page == 1 else f"/zhaopin/pn{page}/"


def detail_path(key: str) -> str:
    return f"/zhaopin/{key}x.shtml"


def _pager(page: int, last: int) -> str:
    links = []
    if page > 1:
        links.append(f'<a class="prev" href="{list_path(page - 1)}">上一页</a>')
    for n in range(1, last + 1):
        if n == page:
            links.append(f'<span class="cur">{n}</span>')
        elif n in (1, last) or abs(n - page) <= 3:
            links.append(f'<a href="{list_path(n)}">{n}</a>')
        elif abs(n - page) == 4:
            links.append("<span>…</span>")
    if page < last:
        links.append(f'<a class="next" href="{list_path(page + 1)}">下一页</a>')
    return f'<div class="pager">{"".join(links)}</div>'


def _item(post: Post) -> str:
    t = post.truth
    return (
        f'<li class="job-item" data-key="{esc(t.key)}"><div class="item-l">'
        f'<a class="job-title" href="{detail_path(t.key)}" target="_blank">{esc(t.title)}</a>'
        f'<p class="job-meta"><span class="area">{esc(t.region or "")}</span> | '
        f'<span class="comp">{esc(post.org)}</span></p></div><div class="item-r">'
        f'<span class="salary">{esc(t.price or "面议")}</span>'
        f'<span class="pub-date">{esc(t.posted)}</span></div></li>'
    )


def list_page(posts: Sequence[Post], page: int, last: int) -> str:
    items = "".join(_item(p) for p in posts)
    body = (
        '<div class="left"><div class="filter">职位类别：<a href="/zhaopin/">建筑/工程</a> '
        '<a href="#">证书/兼职</a> <a href="#">安全员</a>　排序：<b>最新</b></div>'
        f'<ul class="job-list">{items}</ul>{_pager(page, last)}</div>'
    )
    return _shell(
        f"【建筑工程招聘信息】第{page}页 - 58同城",
        '<a href="/zhaopin/">全职招聘</a> &gt; 建筑/工程',
        body,
    )


def detail_page(post: Post, related: Sequence[Post]) -> str:
    t = post.truth
    rel = "".join(
        f'<li><a class="related-link" href="{detail_path(r.truth.key)}">{esc(r.truth.title)}</a>'
        "</li>"
        for r in related
    )
    body = (
        '<div class="left" style="padding:20px">'
        f'<h1 class="job-title">{esc(t.title)}</h1>'
        f'<div class="pos-base"><span class="salary">{esc(t.price or "面议")}</span>'
        f'<span class="area">{esc(t.region or "")}</span>'
        f'<span class="pub-date">{esc(t.posted)}</span></div>'
        f'<div class="comp-box">公司名称：<div class="company-name">{esc(post.org)}</div></div>'
        f'<h3 class="desc-head">职位描述</h3><div class="job-desc">{paragraphs(post.lines)}</div>'
        f'<div class="contact-box"><span class="contact-label">联系方式：</span>'
        f'<div class="contact">{esc(t.contact or "")}</div></div>'
        '<p class="tip">【安全提示】求职中如遇收取押金、要求挂靠证书、办理“不用考试”的证书等情况，'
        "请提高警惕并向平台举报。</p>"
        f'<div class="related"><h3>相似职位</h3><ul>{rel}</ul></div></div>'
    )
    crumb = f'<a href="/zhaopin/">全职招聘</a> &gt; {esc(t.region or "全国")}'
    return _shell(f"{t.title}_58同城", crumb, body)


class Jobs58:
    host = SITES["jobs58"]

    def __init__(self, posts: Sequence[Post]) -> None:
        self.pages: dict[str, Page] = {}
        last = max(1, -(-len(posts) // PAGE_SIZE))
        for page in range(1, last + 1):
            chunk = posts[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
            rendered = html_page(list_page(chunk, page, last))
            self.pages[list_path(page)] = rendered
            self.pages[f"/zhaopin/pn{page}/"] = rendered
        for i, post in enumerate(posts):
            related = [posts[j] for j in (i - 2, i - 1, i + 1, i + 2) if 0 <= j < len(posts)]
            self.pages[detail_path(post.truth.key)] = html_page(detail_page(post, related))
        self.pages["/"] = html_page(
            _shell(
                "58同城 - 分类信息网",
                "首页",
                '<div class="left" style="padding:20px"><h2>热门频道</h2>'
                '<p><a href="/zhaopin/">招聘</a>：建筑工程 / 项目经理 / 安全员 / 证书兼职</p>'
                "</div>",
            )
        )
        self.not_found = html_page(
            _shell(
                "页面不存在 - 58同城",
                "404",
                '<div class="left" style="padding:40px">'
                "<h2>抱歉，您访问的页面不存在或信息已删除</h2>"
                '<p><a href="/zhaopin/">返回招聘首页</a></p></div>',
            ),
            status=404,
        )

    def route(self, path: str, query: Query) -> Page:
        return self.pages.get(path, self.not_found)
