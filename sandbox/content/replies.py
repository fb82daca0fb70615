"""Forum replies under a thread. Replies are page furniture, never listings."""

from __future__ import annotations

from datetime import datetime, timedelta

from sandbox.content.pen import Pen
from sandbox.listing import ForumReply

REPLIES: dict[str, tuple[str, ...]] = {
    "ad": (
        "私信你了",
        "怎么联系？",
        "举报了",
        "又是这种帖子",
        "顶一下",
        "楼主还在吗",
        "价格还能再高点吗",
        "别信，去年被坑过",
        "吧务管管",
        "这种一看就不靠谱",
        "已加，没回",
        "求带",
        "mark",
    ),
    "talk": (
        "现在查得严，别碰",
        "我们那边已经有人被撤销注册了",
        "不建议，风险太大",
        "同问",
        "顶",
        "去住建局窗口问最准",
        "老老实实考吧",
        "早该查了",
        "支持",
        "说得对，转给同事看看",
        "楼主后来怎么处理的？",
        "官网能查到编号才算数",
        "这个我知道，私聊",
        "学到了",
    ),
}


def forum_replies(pen: Pen, label: str, when: datetime, close: datetime) -> tuple[ForumReply, ...]:
    """0-5 replies after `when`; none later than the crawl (`close`)."""
    pool = REPLIES["talk" if label == "benign" else "ad"]
    count = pen.rng.choices((0, 1, 2, 3, 4, 5), weights=(3, 3, 3, 2, 1, 1))[0]
    replies = []
    moment = when
    for text in pen.picks(pool, count):
        moment += timedelta(minutes=pen.between(3, 600))
        if moment > close:
            break
        replies.append(ForumReply(pen.nick(), moment.strftime("%Y-%m-%d %H:%M"), text))
    return tuple(replies)
