"""www.zhipin-sandbox.cn: a job board in the style of BOSS直聘 (card markup, ?page=N)."""

from __future__ import annotations

from collections.abc import Sequence

from sandbox.hosts import SITES
from sandbox.listing import Post
from sandbox.render.page import SANDBOX_NOTE, Page, Query, br_lines, esc, html_page

PAGE_SIZE = 15
LIST_PATH = "/c101/"

STYLE = """
body{margin:0;font:14px/1.5 -apple-system,"PingFang SC","Microsoft YaHei",sans-serif;
background:#f6f6f8}
a{text-decoration:none;color:#222}.header{background:#202329;color:#fff;height:52px}
.header .inner{width:1184px;margin:0 auto;display:flex;align-items:center;gap:28px;height:52px}
.header a{color:#fff}.logo{font-size:22px;font-weight:600;color:#00bebd!important}
.page-wrap{width:1184px;margin:16px auto;display:flex;gap:16px}
.job-list-box{list-style:none;padding:0;margin:0}
.job-card-wrapper{background:#fff;border-radius:12px;margin-bottom:12px;display:flex;
padding:16px 20px}
.job-card-left{flex:1}.job-name{font-size:16px;font-weight:500}.job-area{color:#666;margin-left:8px}
.salary{color:#fe574a;font-weight:500;margin-right:10px}.tag-list{display:inline;padding:0}
.tag-list li{display:inline-block;background:#f8f8f8;padding:0 8px;margin-right:6px;color:#666}
.options-pages{text-align:center;padding:16px}.options-pages a{padding:4px 10px;margin:0 3px}
.options-pages .selected{color:#00bebd}.disabled{color:#ccc}.sider{width:300px}
.sider-box{background:#fff;border-radius:12px;padding:16px;margin-bottom:12px}
.job-banner{background:#313843;color:#fff;padding:24px}
.job-banner .name h1{display:inline;font-size:26px}
.job-sec{background:#fff;padding:20px;margin-bottom:12px}.job-sec-text{line-height:26px}
"""

HEADER = """<div class="header"><div class="inner"><a class="logo" href="/">BOSS直聘</a>
<a href="/">首页</a><a href="/c101/">职位</a><a href="#">公司</a><a href="#">APP</a>
<a href="#">有了</a>
<span class="user-nav"><a href="#" rel="nofollow">我要找工作</a>
<a href="#" rel="nofollow">我要招聘</a>
<a href="#" rel="nofollow">登录/注册</a></span></div></div>"""

FOOTER = """<div class="footer" style="text-align:center;color:#999;padding:24px;font-size:12px">
<p>企业服务热线和举报投诉 400-000-0000（沙箱） 工作日 8:00-22:00</p>
<p>BOSS直聘沙箱版 &middot; 测试数据 &middot; 互联网信息服务许可证（示例）</p></div>"""

SIDER = """<div class="sider"><div class="sider-box"><h3>安全提醒</h3>
<p>招聘方以“证书挂靠”“不用到岗”等名义招人，或要求求职者交费办证的，请立即举报。</p></div>
<div class="sider-box"><h3>热门职位</h3><p>施工员 · 资料员 · 造价员 · 项目经理</p></div></div>"""


def _shell(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">{SANDBOX_NOTE}'
        f'<title>{esc(title)}</title><meta name="viewport" content="width=device-width">'
        f"<style>{STYLE}</style></head><body>{HEADER}{body}{FOOTER}</body></html>"
    )


def list_url(page: int) -> str:
    return f"{LIST_PATH}?page={page}"


def detail_path(key: str) -> str:
    return f"/job_detail/{key}.html"


def _card(post: Post) -> str:
    t = post.truth
    return (
        f'<li><div class="job-card-wrapper" data-jobid="{esc(t.key)}">'
        f'<a class="job-card-left" href="{detail_path(t.key)}" target="_blank">'
        f'<div class="job-title clearfix"><span class="job-name">{esc(t.title)}</span>'
        f'<span class="job-area-wrapper"><span class="job-area">{esc(t.region or "")}</span>'
        "</span></div>"
        f'<div class="job-info clearfix"><span class="salary">{esc(t.price or "面议")}</span>'
        '<ul class="tag-list"><li>经验不限</li><li>学历不限</li></ul></div></a>'
        f'<div class="job-card-right"><div class="company-info"><h3 class="company-name">'
        f'<a href="#">{esc(post.org)}</a></h3></div></div></div></li>'
    )


def list_page(posts: Sequence[Post], page: int, last: int) -> str:
    pages = []
    prev_href = f' href="{list_url(page - 1)}"' if page > 1 else ""
    pages.append(
        f'<a class="ui-icon-arrow-left{"" if page > 1 else " disabled"}"{prev_href}>&lt;</a>'
    )
    for n in range(max(1, page - 2), min(last, page + 2) + 1):
        cls = ' class="selected"' if n == page else ""
        pages.append(f'<a{cls} href="{list_url(n)}">{n}</a>')
    if page < last:
        pages.append(f'<a class="ui-icon-arrow-right" href="{list_url(page + 1)}">&gt;</a>')
    else:
        pages.append('<a class="ui-icon-arrow-right disabled">&gt;</a>')  # no href on the last page
    cards = "".join(_card(p) for p in posts) or '<li class="job-empty">没有更多职位了</li>'
    body = (
        '<div class="page-wrap"><div class="job-list-wrapper" style="flex:1">'
        '<div class="search-condition">城市：全国　行业：建筑/房地产　职位：工程管理</div>'
        f'<ul class="job-list-box">{cards}</ul>'
        f'<div class="pagination-area"><div class="options-pages">{"".join(pages)}</div></div>'
        "</div>"
        f"{SIDER}</div>"
    )
    return _shell(f"「建筑工程招聘」-第{page}页-BOSS直聘", body)


def detail_page(post: Post) -> str:
    t = post.truth
    body = (
        '<div class="job-banner"><div class="inner"><div class="info-primary">'
        f'<div class="name"><h1>{esc(t.title)}</h1></div>'
        f'<span class="salary">{esc(t.price or "面议")}</span>'
        f'<p><a class="text-city" href="#">{esc((t.region or "").split("·")[-1])}</a>'
        '<span class="text-experiece">经验不限</span><span class="text-degree">学历不限</span></p>'
        '</div><div class="btn-container">'
        '<a class="btn btn-startchat" href="#" rel="nofollow">立即沟通</a>'
        '</div></div></div><div class="page-wrap"><div class="job-detail" style="flex:1">'
        '<div class="job-sec"><h3>职位描述</h3>'
        f'<div class="job-sec-text">{br_lines(post.lines)}</div></div>'
        '<div class="job-sec"><div class="job-boss-info">'
        f'<h2 class="name">{esc(post.person)}<i class="icon-active"></i></h2>'
        f'<div class="boss-info-attr">{esc(t.contact or "")}</div></div></div>'
        f'<div class="job-sec"><h3>公司信息</h3><div class="company-name">{esc(post.org)}</div>'
        "</div>"
        '<div class="job-sec"><h3>工作地址</h3>'
        f'<div class="location-address">{esc(t.region or "")}</div></div>'
        f'<div class="job-sec"><p class="gray">更新于：<span class="job-time">{esc(t.posted)}'
        "</span></p>"
        f"</div></div>{SIDER}</div>"
    )
    return _shell(f"「{t.title}招聘」-BOSS直聘", body)


class Zhipin:
    host = SITES["zhipin"]

    def __init__(self, posts: Sequence[Post]) -> None:
        self.last = max(1, -(-len(posts) // PAGE_SIZE))
        self.lists = {
            page: html_page(
                list_page(posts[(page - 1) * PAGE_SIZE : page * PAGE_SIZE], page, self.last)
            )
            for page in range(1, self.last + 1)
        }
        self.beyond = html_page(list_page([], self.last + 1, self.last))
        self.details = {detail_path(p.truth.key): html_page(detail_page(p)) for p in posts}
        self.home = html_page(
            _shell(
                "BOSS直聘-找工作上BOSS直聘直接谈",
                '<div class="page-wrap"><div style="flex:1">'
                '<h2>热门职位</h2><p><a href="/c101/">建筑工程 · 项目管理 · 安全员</a></p>'
                "</div></div>",
            )
        )
        self.not_found = html_page(
            _shell(
                "页面不存在-BOSS直聘",
                '<div class="page-wrap"><div style="flex:1;padding:40px">'
                '<h2>该职位已关闭或不存在</h2><a href="/c101/">看看其他职位</a></div></div>',
            ),
            status=404,
        )

    def route(self, path: str, query: Query) -> Page:
        if path == LIST_PATH:
            try:
                page = int(query.get("page", "1"))
            except ValueError:
                page = 1
            return self.lists.get(max(1, page), self.beyond)
        if path == "/":
            return self.home
        return self.details.get(path, self.not_found)
