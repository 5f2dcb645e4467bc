"""Any analytics table as CSV, Excel (openpyxl) or PDF (fpdf2, via reports.pdf)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.styles import Alignment, Font, PatternFill  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from reformer.analytics.tables import Table

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _safe(value: object) -> object:
    """Neutralise spreadsheet formulas in text typed by users (CSV/Excel injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return f"'{value}"
    return value


def to_csv(tables: Sequence[Table], heading: list[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in heading:
        writer.writerow([_safe(line)])
    for table in tables:
        writer.writerow([])
        writer.writerow([table.title])
        writer.writerow(table.columns)
        for row in table.rows:
            writer.writerow([_safe(cell) for cell in row])
        if table.note:
            writer.writerow([table.note])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(tables: Sequence[Table], heading: list[str]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    header_fill = PatternFill("solid", fgColor="E7EFFA")
    for table in tables:
        sheet = workbook.create_sheet(title=table.title[:31].replace("/", "-"))
        for line in heading:
            sheet.append([_safe(line)])
        sheet.append([])
        sheet.append(table.columns)
        header_row = sheet.max_row
        for cell in sheet[header_row]:
            cell.font = Font(bold=True)
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in table.rows:
            sheet.append([_safe(cell) for cell in row])
        if table.note:
            sheet.append([])
            sheet.append([table.note])
        for index, column in enumerate(table.columns, start=1):
            widest = max([len(str(column))] + [len(str(r[index - 1])) for r in table.rows])
            sheet.column_dimensions[get_column_letter(index)].width = min(max(widest + 2, 10), 50)
        sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def to_pdf(tables: Sequence[Table], heading: list[str]) -> bytes:
    from reformer.reports.pdf import ReportDocument

    document = ReportDocument(title=heading[0] if heading else "Report")
    document.cover(heading[0] if heading else "Report", heading[1:])
    for table in tables:
        document.section(table.title)
        if table.note:
            document.paragraph(table.note)
        document.table(table.columns, table.rows)
    return document.output()


def render(fmt: str, tables: Sequence[Table], heading: list[str]) -> bytes:
    return {"csv": to_csv, "xlsx": to_xlsx, "pdf": to_pdf}[fmt](tables, heading)
