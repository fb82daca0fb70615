"""Another department's genuine query portal (replica of www.mot.gov.cn, 交通运输部).

The hard negative for page analysis: a real `.gov.cn` site with the national emblem, its own
ICP claim and a form asking for 证书编号 and 身份证号 — and, being genuine, it answers
"未查询到" for a number it never issued. Form: `/cxfw/zgzs/` POSTs to `/cxfw/zgzs/result`.
It is not on certwatch's watchlist: nothing about it may make it a lookalike.
"""

from __future__ import annotations

from sandbox.hosts import OTHER_PORTALS
from sandbox.render.emblem import emblem_png
from sandbox.render.page import SANDBOX_NOTE, Page, Query, esc, html_page

TITLE = "中华人民共和国交通运输部"
ICP = ("京ICP备05046837号-1", "京公网安备 11010102004379号")
NOT_FOUND = "未查询到符合条件的证书信息，请核对后重新输入"
# The one skill certificate this replica knows (synthetic): number -> (name, id, title).
KNOWN = {"1101052019000123": ("陈立新", "110105198406153319", "道路旅客运输驾驶员")}

STYLE = (
    "body{margin:0;font:14px/1.8 SimSun,serif;background:#fff;color:#222}"
    ".hd{border-bottom:4px solid #c00;padding:10px 40px}.hd img{width:60px;vertical-align:middle}"
    ".hd span{font-size:24px;color:#c00;margin-left:10px}.bd{width:960px;margin:20px auto}"
    ".ft{background:#eee;font-size:12px;text-align:center;padding:12px;margin-top:30px}"
)


def _shell(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="zh-CN"><head><meta charset="utf-8">{SANDBOX_NOTE}'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>"
        f'<div class="hd"><img src="/images/guohui.png" alt="国徽"><span>{TITLE}</span></div>'
        f'<div class="bd">{body}</div><div class="ft"><p>主办：交通运输部办公厅　'
        f"{esc(ICP[0])}　{esc(ICP[1])}</p><p>本站为测试沙箱复制品</p></div></body></html>"
    )


HOME = (
    "<h2>政务服务</h2><ul><li><a href=\"/cxfw/zgzs/\">道路运输从业人员从业资格证查询</a></li>"
    "<li>网约车驾驶员证办理指南</li><li>道路运输证电子证照</li></ul>"
    "<h2>新闻发布</h2><ul><li>交通运输部举行2026年第三季度例行新闻发布会</li>"
    "<li>关于推进道路运输从业人员从业资格证件电子化的通知</li></ul>"
)
FORM = (
    "<h2>道路运输从业人员从业资格证查询</h2>"
    '<form action="/cxfw/zgzs/result" method="post">'
    '<p><label for="certNo">证书编号</label> <input id="certNo" name="certNo"></p>'
    '<p><label for="idCard">身份证号</label> <input id="idCard" name="idCard"></p>'
    '<p><label for="xm">姓名</label> <input id="xm" name="xm"></p>'
    '<p><input type="submit" value="查询"></p></form>'
    "<p>提示：本系统提供交通运输主管部门颁发的从业资格证查询。</p>"
)


class MotPortal:
    host = OTHER_PORTALS["mot"]
    post_paths = frozenset({"/cxfw/zgzs/result"})

    def __init__(self) -> None:
        self.pages = {
            "/": html_page(_shell(TITLE, HOME)),
            "/cxfw/zgzs/": html_page(_shell(f"从业资格证查询_{TITLE}", FORM)),
            "/images/guohui.png": Page(200, emblem_png(), "image/png"),
        }
        self.not_found = html_page(_shell("404", "<p>页面不存在</p>"), 404)

    def route(self, path: str, query: Query) -> Page:
        if path == "/cxfw/zgzs/result":
            number = query.get("certNo", "").strip()
            known = KNOWN.get(number)
            if known and known[1] == query.get("idCard", "").strip().upper():
                name, _id, title = known
                body = (f"<h2>查询结果</h2><p>证书编号：{esc(number)}</p><p>姓名：{esc(name)}</p>"
                        f"<p>从业资格类别：{esc(title)}</p>")
            else:
                body = f'<h2>查询结果</h2><p class="none">{NOT_FOUND}</p>'
            return html_page(_shell(f"查询结果_{TITLE}", body))
        return self.pages.get(path, self.not_found)
