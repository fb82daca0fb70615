"""Another department's genuine query portal (replica of www.mohrss.gov.cn, 人社部).

The hard negative for page analysis: a real `.gov.cn` site with the national emblem, its own
ICP claim and a form asking for 证书编号 and 身份证号 — and, being genuine, it answers
"未查询到" for a number it never issued. Form: `/cxfw/zgzs/` POSTs to `/cxfw/zgzs/result`.
"""

from __future__ import annotations

from sandbox.hosts import OTHER_PORTALS
from sandbox.render.emblem import emblem_png
from sandbox.render.page import SANDBOX_NOTE, Page, Query, esc, html_page

TITLE = "中华人民共和国人力资源和社会保障部"
ICP = ("京ICP备05073467号-1", "京公网安备 11010502035264号")
NOT_FOUND = "未查询到符合条件的证书信息，请核对后重新输入"
# The one skill certificate this replica knows (synthetic): number -> (name, id, title).
KNOWN = {"S000011000000234567": ("陈立新", "110105198406153319", "电工（四级/中级工）")}

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
        f'<div class="bd">{body}</div><div class="ft"><p>主办：人力资源和社会保障部办公厅　'
        f"{esc(ICP[0])}　{esc(ICP[1])}</p><p>本站为测试沙箱复制品</p></div></body></html>"
    )


HOME = (
    "<h2>政务服务</h2><ul><li><a href=\"/cxfw/zgzs/\">技能人员职业资格证书查询</a></li>"
    "<li>社会保障卡服务</li><li>就业创业政策</li></ul>"
    "<h2>新闻发布</h2><ul><li>人力资源社会保障部举行2026年第三季度新闻发布会</li>"
    "<li>关于开展技能人员职业资格证书清理规范工作的通知</li></ul>"
)
FORM = (
    "<h2>技能人员职业资格证书查询</h2>"
    '<form action="/cxfw/zgzs/result" method="post">'
    '<p><label for="certNo">证书编号</label> <input id="certNo" name="certNo"></p>'
    '<p><label for="idCard">身份证号</label> <input id="idCard" name="idCard"></p>'
    '<p><label for="xm">姓名</label> <input id="xm" name="xm"></p>'
    '<p><input type="submit" value="查询"></p></form>'
    "<p>提示：本系统仅提供2018年以来人社部门颁发的职业资格证书查询。</p>"
)


class MohrssPortal:
    host = OTHER_PORTALS["mohrss"]
    post_paths = frozenset({"/cxfw/zgzs/result"})

    def __init__(self) -> None:
        self.pages = {
            "/": html_page(_shell(TITLE, HOME)),
            "/cxfw/zgzs/": html_page(_shell(f"职业资格证书查询_{TITLE}", FORM)),
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
                        f"<p>职业（工种）及等级：{esc(title)}</p>")
            else:
                body = f'<h2>查询结果</h2><p class="none">{NOT_FOUND}</p>'
            return html_page(_shell(f"查询结果_{TITLE}", body))
        return self.pages.get(path, self.not_found)
