"""汇总表: flagged and decided items by region × category × status for a date range.

The notices (e.g. 吉林、内蒙古《“挂证”等违法违规行为处理情况汇总表》, 四川《…涉假专项治理情况
统计表》) ask each region to report counts per kind of violation and how far each case got;
this is that table, built from the queue, in xlsx and csv.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, case, func, literal_column, or_, select
from sqlalchemy.orm import Session

from review.labels import LABELS_ZH, STATUSES_ZH
from store.models import Listing
from store.review_models import STATUSES, ReviewCase, ReviewFacet

TITLE = "工程建设领域“挂证”、假证及考试作弊等违法违规线索处理情况汇总表"
UNKNOWN_REGION = "未识别地区"
SITE_CATEGORY = "lookalike_site"
CATEGORY_ORDER = ("guazheng", "fake_cert", "exam_fraud", SITE_CATEGORY, "benign")
SITE_REGION = "（网站，不分地区）"
CATEGORY_NAMES = {**LABELS_ZH, SITE_CATEGORY: "假冒政府网站"}


@dataclass
class SummaryTable:
    date_from: date
    date_to: date
    rows: list[tuple[str, str, dict[str, int]]]  # region, category, counts per status

    @property
    def header(self) -> list[str]:
        return ["地区", "类别", *(STATUSES_ZH[s] for s in STATUSES), "合计"]

    def body(self) -> list[list]:
        out = []
        for region, category, counts in self.rows:
            values = [counts.get(s, 0) for s in STATUSES]
            out.append([region, CATEGORY_NAMES.get(category, category), *values,
                        sum(values)])
        totals = [sum(r[2 + i] for r in out) for i in range(len(STATUSES) + 1)]
        out.append(["合计", "", *totals])
        return out


def build_summary(session: Session, date_from: date, date_to: date) -> SummaryTable:
    start = datetime.combine(date_from, time(), UTC)
    end = datetime.combine(date_to + timedelta(days=1), time(), UTC)
    status = func.coalesce(ReviewCase.status, literal_column("'pending'"))
    # A decided case counts under the analyst's category; otherwise the classifier's label.
    # Closed without a category is closed as 误报 (false positive): never the model's label.
    category = case((_closed_benign(), literal_column("'benign'")),
                    else_=func.coalesce(ReviewCase.category, Listing.label))
    region = func.coalesce(ReviewFacet.value, literal_column(f"'{UNKNOWN_REGION}'"))
    stmt = (select(region, category, status, func.count())
            .select_from(Listing)
            .outerjoin(ReviewCase, and_(ReviewCase.kind == "listing",
                                        ReviewCase.item_id == Listing.id))
            .outerjoin(ReviewFacet, and_(ReviewFacet.kind == "listing",
                                         ReviewFacet.item_id == Listing.id,
                                         ReviewFacet.facet == "region"))
            .where(Listing.first_seen >= start, Listing.first_seen < end,
                   or_(Listing.label.in_(("guazheng", "fake_cert", "exam_fraud")),
                       ReviewCase.id.is_not(None)))
            .group_by(region, category, status))
    grouped: dict[tuple[str, str], dict[str, int]] = {}
    for reg, cat, st, n in session.execute(stmt):
        cat = "benign" if st == "dismissed" else (cat or "benign")
        grouped.setdefault((reg, cat), {}).setdefault(st, 0)
        grouped[(reg, cat)][st] += int(n)
    _add_sites(session, start, end, grouped)
    order = {c: i for i, c in enumerate(CATEGORY_ORDER)}
    rows = sorted(((r, c, counts) for (r, c), counts in grouped.items()),
                  key=lambda x: (x[0] in (UNKNOWN_REGION, SITE_REGION), x[0] == SITE_REGION,
                                 x[0], order.get(x[1], 9)))
    return SummaryTable(date_from=date_from, date_to=date_to, rows=rows)


def _closed_benign() -> ColumnElement[bool]:
    return and_(ReviewCase.status == "closed", ReviewCase.category.is_(None))


def _add_sites(session: Session, start: datetime, end: datetime,
               grouped: dict[tuple[str, str], dict[str, int]]) -> None:
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
        bucket = grouped.setdefault((SITE_REGION, cat), {})
        bucket[st] = bucket.get(st, 0) + int(n)


def _preamble(table: SummaryTable, who: str) -> list[list[str]]:
    made = datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M")
    return [[TITLE],
            [f"统计区间（首次发现）：{table.date_from:%Y-%m-%d} 至 {table.date_to:%Y-%m-%d}"],
            [f"填报：certwatch 审核平台（{who}），生成时间：{made}"]]


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
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 16
    ws.freeze_panes = ws.cell(row=header_row + 1, column=3)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def csv_rows(data: bytes) -> list[list[str]]:
    """Read a CSV export back (tests and scripts)."""
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
