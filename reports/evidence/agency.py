"""Which agency receives a referral, by finding (GUIDE §1, 贵阳 notice §六(二))."""

from __future__ import annotations

from dataclasses import dataclass

from reports.evidence.collect import Item


@dataclass(frozen=True)
class Agency:
    key: str
    name: str
    reason: str


CYBERSPACE = Agency("cac", "网信部门（网络安全和信息化委员会办公室，举报电话12377）",
                    "假冒政府网站、证书查询端口")
MARKET = Agency("samr", "市场监督管理部门",
                "网络销售证书、考试包过等虚假宣传")
POLICE = Agency("police", "公安机关",
                "伪造、买卖证书的违法犯罪线索")
HOUSING = Agency("mohurd", "住房和城乡建设主管部门（证书发证机关）",
                 "注册执业人员及企业“挂证”")
HR = Agency("mohrss", "人力资源和社会保障部门（证书发证机关）",
            "职业资格证书“挂证”")
NONE = Agency("none", "（未认定违法线索，仅存档）", "分析人员与分类模型均判定为正常信息")

# Certificates registered by 住建 authorities; other professional qualifications go to 人社.
HOUSING_FAMILIES = ("建造师", "建筑师", "勘察设计", "监理工程师", "造价工程师",
                    "结构工程师", "岩土工程师", "三类人员", "安全员", "建筑施工特种作业")
# When a case mixes findings, the agency with the widest powers leads; the others get copies.
PRIORITY = ("police", "cac", "samr", "mohurd", "mohrss", "none")


def for_item(item: Item) -> list[Agency]:
    if item.target.kind == "site":
        return [CYBERSPACE]
    label = item.label
    if label == "fake_cert":
        return [POLICE, MARKET]
    if label == "exam_fraud":
        return [MARKET]
    if label == "guazheng":
        families = [c.get("family") or "" for c in
                    (item.findings.get("attributes") or {}).get("certificates", [])]
        housing = [f for f in families if any(h in f for h in HOUSING_FAMILIES)]
        if housing:
            return [HOUSING]
        return [HR] if families else [HOUSING, HR]
    return [NONE]


def for_case(items: list[Item]) -> tuple[Agency, list[Agency]]:
    """(the receiving agency, agencies that get a copy)."""
    found = {a.key: a for item in items for a in for_item(item)}
    if len(found) > 1:
        found.pop("none", None)
    ordered = [found[k] for k in PRIORITY if k in found]
    return ordered[0], ordered[1:]


LABEL_NAMES = {"guazheng": "挂证（出租、出借注册证书）", "fake_cert": "出售伪造证书",
               "exam_fraud": "考试包过、代考等虚假宣传", "benign": "正常信息",
               "lookalike": "假冒政府网站、证书查询端口", "official": "官方网站",
               None: "未评分"}
