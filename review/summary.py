"""汇总表: flagged and decided items by region × category × status for a date range.

The notices (e.g. 吉林、内蒙古《“挂证”等违法违规行为处理情况汇总表》, 四川《…涉假专项治理情况
统计表》) ask each region to report counts per kind of violation and how far each case got;
this is that table, built from the queue, in xlsx and csv.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, case, func, literal_column, or_, select
from sqlalchemy.orm import Session, aliased

from review.app_time import BEIJING, day_end, day_start
from review.labels import LABELS_ZH, STATUSES_ZH
from store.models import Listing
from store.review_models import STATUSES, ReviewCase, ReviewFacet

TITLE = "工程建设领域“挂证”、假证及考试作弊等违法违规线索处理情况汇总表"
UNKNOWN_REGION = "未识别地区"
UNKNOWN_CITY = "（未识别到市）"
SITE_CATEGORY = "lookalike_site"
CATEGORY_ORDER = ("guazheng", "fake_cert", "exam_fraud", SITE_CATEGORY, "benign")
SITE_REGION = "（网站，不分地区）"
CATEGORY_NAMES = {**LABELS_ZH, SITE_CATEGORY: "假冒政府网站"}
# Province: 省级 tables (吉林、内蒙古 report to the province). City: the 市（州）/盟市 rows the
# same notices ask each city to fill; county level (区（市、县）) is not extracted from ads.
LEVELS = ("province", "city")
LEVEL_NAMES = {"province": "省（区、市）", "city": "市（州、盟）"}
Place = tuple[str, ...]  # (province,) or (province, city)


@dataclass
class SummaryTable:
    date_from: date
    date_to: date
    rows: list[tuple[Place, str, dict[str, int]]]  # place, category, counts per status
    level: str = "province"

    @property
    def header(self) -> list[str]:
        places = ["地区"] if self.level == "province" else ["地区", "市（州、盟）"]
        return [*places, "类别", *(STATUSES_ZH[s] for s in STATUSES), "合计"]

    def body(self) -> list[list]:
        width = 1 if self.level == "province" else 2
        out = []
        for place, category, counts in self.rows:
            values = [counts.get(s, 0) for s in STATUSES]
            cells = [*place, *[""] * (width - len(place))][:width]
            out.append([*cells, CATEGORY_NAMES.get(category, category), *values,
                        sum(values)])
        first = width + 1
        totals = [sum(r[first + i] for r in out) for i in range(len(STATUSES) + 1)]
        out.append(["合计", *[""] * width, *totals])
        return out


def _place(level: str, region: str | None, town: str | None) -> Place:
    if not region:
        return (UNKNOWN_REGION,) if level == "province" else (UNKNOWN_REGION, "")
    if level == "province":
        return (region,)
    if not town:
        return (region, UNKNOWN_CITY)
    return (region, town.split("·", 1)[1] if "·" in town else town)


def build_summary(session: Session, date_from: date, date_to: date,
                  level: str = "province") -> SummaryTable:
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}")
    start, end = day_start(date_from), day_end(date_to)
    status = func.coalesce(ReviewCase.status, literal_column("'pending'"))
    # A decided case counts under the analyst's category; otherwise the classifier's label.
    # Closed without a category is closed as 误报 (false positive): never the model's label.
    category = case((_closed_benign(), literal_column("'benign'")),
                    else_=func.coalesce(ReviewCase.category, Listing.label))
    region_facet, city_facet = aliased(ReviewFacet), aliased(ReviewFacet)
    places = [region_facet.value, *([city_facet.value] if level == "city" else [])]
    stmt = (select(*places, category, status, func.count())
            .select_from(Listing)
            .outerjoin(ReviewCase, and_(ReviewCase.kind == "listing",
                                        ReviewCase.item_id == Listing.id))
            .outerjoin(region_facet, and_(region_facet.kind == "listing",
                                          region_facet.item_id == Listing.id,
                                          region_facet.facet == "region")))
    if level == "city":
        stmt = stmt.outerjoin(city_facet, and_(city_facet.kind == "listing",
                                               city_facet.item_id == Listing.id,
                                               city_facet.facet == "city"))
    stmt = (stmt.where(Listing.first_seen >= start, Listing.first_seen < end,
                       or_(Listing.label.in_(("guazheng", "fake_cert", "exam_fraud")),
                           ReviewCase.id.is_not(None)))
            .group_by(*places, category, status))
    grouped: dict[tuple[Place, str], dict[str, int]] = {}
    for *names, cat, st, n in session.execute(stmt):
        cat = "benign" if st == "dismissed" else (cat or "benign")
        place = _place(level, names[0], names[1] if len(names) > 1 else None)
        bucket = grouped.setdefault((place, cat), {})
        bucket[st] = bucket.get(st, 0) + int(n)
    site_place = (SITE_REGION,) if level == "province" else (SITE_REGION, "")
    _add_sites(session, start, end, grouped, site_place)
    order = {c: i for i, c in enumerate(CATEGORY_ORDER)}

    def sort_key(row: tuple[Place, str, dict[str, int]]) -> tuple:
        place, cat, _counts = row
        head = place[0]
        return (head in (UNKNOWN_REGION, SITE_REGION), head == SITE_REGION, head,
                place[1:] == (UNKNOWN_CITY,), place[1:], order.get(cat, 9))

    rows = sorted(((p, c, counts) for (p, c), counts in grouped.items()), key=sort_key)
    return SummaryTable(date_from=date_from, date_to=date_to, rows=rows, level=level)


def _closed_benign() -> ColumnElement[bool]:
    return and_(ReviewCase.status == "closed", ReviewCase.category.is_(None))


def _add_sites(session: Session, start: datetime, end: datetime,
               grouped: dict[tuple[Place, str], dict[str, int]], place: Place) -> None:
    """Lookalike government sites (the 贵阳 notice's 假冒监管网站): one row per status."""
    from store.lookalike_models import LookalikeCandidate, LookalikeVerdict

    latest = (select(LookalikeVerdict.candidate_id, func.max(LookalikeVerdict.id).label("vid"))
              .group_by(LookalikeVerdict.candidate_id).subquery())
    status = func.coalesce(ReviewCase.status, literal_column("'pending'"))
    benign = case((_closed_benign(), literal_column("1")), else_=literal_column("0"))
    rows = session.execute(
        select(status, benign, func.count()).select_from(LookalikeCandidate)
        .join(latest, latest.c.candidate_id == LookalikeCandidate.id)
        .join(LookalikeVerdict, LookalikeVerdict.id == latest.c.vid)
        .outerjoin(ReviewCase, and_(ReviewCase.kind == "site",
                                    ReviewCase.item_id == LookalikeCandidate.id))
        .where(LookalikeCandidate.first_seen >= start, LookalikeCandidate.first_seen < end,
               or_(LookalikeVerdict.label == "lookalike", ReviewCase.id.is_not(None)))
        .group_by(status, benign)).all()
    for st, closed_benign, n in rows:
        cat = "benign" if st == "dismissed" or closed_benign else SITE_CATEGORY
        bucket = grouped.setdefault((place, cat), {})
        bucket[st] = bucket.get(st, 0) + int(n)


def _preamble(table: SummaryTable, who: str) -> list[list[str]]:
    # The analysts' dates are Beijing dates, whatever zone the server runs in.
    made = datetime.now(BEIJING).strftime("%Y-%m-%d %H:%M")
    return [[TITLE],
            [f"统计区间（首次发现，北京时间）：{table.date_from:%Y-%m-%d} 至 "
             f"{table.date_to:%Y-%m-%d}；统计口径：按{LEVEL_NAMES[table.level]}"],
            [f"填报：certwatch 审核平台（{who}），生成时间：{made}（北京时间）"]]


def to_csv(table: SummaryTable, who: str) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerows(_preamble(table, who))
    writer.writerow(table.header)
    writer.writerows(table.body())
    # BOM: Excel opens UTF-8 CSV with Chinese correctly only with it.
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(table: SummaryTable, who: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = "汇总表"
    for row in _preamble(table, who):
        ws.append(row)
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(table.header)
    header_row = ws.max_row
    for cell in ws[header_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    for row in table.body():
        ws.append(row)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    labels = len(table.header) - len(STATUSES) - 1  # place column(s) and the category
    for col in range(1, labels + 1):
        ws.column_dimensions[chr(ord("A") + col - 1)].width = 16
    ws.freeze_panes = ws.cell(row=header_row + 1, column=labels + 1)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_rows(data: bytes) -> list[list[str]]:
    """Read a CSV export back (tests and scripts)."""
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
