"""Turning a report's figures (data.py) into a PDF, or into CSV when the PDF fails."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from reformer.analytics.tables import change, percent
from reformer.core.money import format_money
from reformer.reports.pdf import ReportDocument

NA = "N/A - Insufficient data"
WELCOME = (
    "Welcome to your first Reformer report! Your studio is just getting started, so some "
    "sections below have no figures yet. As classes run and clients book, this report will "
    "fill in, and from your second year it compares each month with the same month before."
)


def _period_label(data: dict) -> str:
    start = dt.date.fromisoformat(data["period"]["start"])
    end = dt.date.fromisoformat(data["period"]["end"])
    if data.get("to_date"):
        return f"{start:%-d %b %Y} to {end:%-d %b %Y} (to date)"
    if start.day == 1 and (end + dt.timedelta(days=1)).day == 1 and start.month == end.month:
        return f"{start:%B %Y}"
    return f"{start:%-d %b %Y} to {end:%-d %b %Y}"


def title(data: dict) -> str:
    where = data["studio"] or data["organization"]
    return f"{where}: business report, {_period_label(data)}"


def _revenue_text(amounts: dict[str, str] | None) -> str:
    if amounts is None:
        return "Whole organization only"
    if not amounts:
        return format_money(0, "USD")
    return " + ".join(format_money(Decimal(v), c) for c, v in amounts.items())


def _revenue_number(amounts: dict[str, str] | None) -> float:
    return float(sum(Decimal(v) for v in (amounts or {}).values()))


def _growth(now: float, before: float | None) -> str:
    value = change(now, before)
    if value is None:
        return ""
    sign = "+" if value >= 0 else "\u2212"
    return f"{sign}{abs(value) * 100:.1f}% vs last year"


def _rate(value: float | None) -> str:
    return percent(value)


def times_note(data: dict) -> str:
    zones = data.get("time_zones") or [data["time_zone"]]
    if len(zones) == 1:
        return f"times in {zones[0]}"
    return "each studio's times in its own zone (" + ", ".join(zones) + ")"


def top_slots_table(data: dict) -> tuple[list[str], list[list[object]]]:
    """Headers and rows of "Top classes". Reports made before slots were kept per studio
    have four columns; a slot of a report over several studios names its studio (and that
    studio's zone when the studios' zones differ)."""
    rows = data["top_slots"]
    several = data["studio"] is None and data["studios"] > 1
    if not several or any(len(r) < 6 for r in rows):
        return ["Class", "Weekly slot", "Bookings", "Classes"], [list(r[:4]) for r in rows]
    zoned = len(data.get("time_zones") or []) > 1
    return (
        [
            "Class",
            "Studio",
            "Weekly slot (local)" if zoned else "Weekly slot",
            "Bookings",
            "Classes",
        ],
        [[r[0], f"{r[4]} ({r[5]})" if zoned else r[4], r[1], r[2], r[3]] for r in rows],
    )


def render_pdf(data: dict, *, compact: bool = False) -> bytes:
    """The PDF. `compact` (a retry after a failure) leaves out the long tables and charts."""
    head, last = data["headline"], data["last_year"]
    document = ReportDocument(title=title(data), brand=data.get("brand") or "#3b6e8f")
    where = data["studio"] or (
        f"All {data['studios']} studios" if data["studios"] > 1 else data["organization"]
    )
    document.cover(
        title(data),
        [f"{data['organization']} · {where} · {times_note(data)}"],
    )
    if not data["has_data"]:
        document.callout(WELCOME)

    def yoy(key: str) -> str:
        if not last:
            return "No comparison yet" if not data["has_last_year"] else ""
        now, before = head[key], last[key]
        if key == "revenue":
            return _growth(_revenue_number(now), _revenue_number(before))
        if now is None or before is None:
            return ""
        return _growth(float(now), float(before))

    document.section("Summary")
    document.kpis(
        [
            ("Revenue", _revenue_text(head["revenue"]), yoy("revenue")),
            ("Bookings", f"{head['bookings']:,}", yoy("bookings")),
            (
                "Attendance rate",
                _rate(head["attendance_rate"]),
                f"No-show rate {_rate(head['no_show_rate'])}",
            ),
            ("Class utilisation", _rate(head["utilisation"]), f"{head['classes']:,} classes"),
            ("New clients", f"{head['new_clients']:,}", yoy("new_clients")),
            ("Lost clients", f"{head['lost_clients']:,}", "Booked last period, not this one"),
        ]
    )

    document.section("Revenue")
    if head["revenue"] is None:
        document.paragraph(
            "Payments are recorded for the whole organization; see the consolidated report.",
            muted=True,
        )
    elif not data["revenue_by_kind"]:
        document.paragraph(NA, muted=True)
    else:
        document.paragraph(f"Total: {_revenue_text(head['revenue'])}")
        document.bar_chart(
            [name for name, _ in data["revenue_by_kind"]],
            [float(v) for _, v in data["revenue_by_kind"]],
            value_text=[v for _, v in data["revenue_by_kind"]],
        )
        if not compact:
            document.table(["Product", "Revenue"], data["revenue_by_product"])

    document.section("Bookings and attendance")
    if not head["bookings"] and not head["cancellations"]:
        document.paragraph(NA, muted=True)
    else:
        document.table(
            ["Measure", "This period", "Same period last year"],
            [
                ["Bookings", head["bookings"], last["bookings"] if last else "N/A"],
                ["Cancellations", head["cancellations"], last["cancellations"] if last else "N/A"],
                [
                    "Cancellation rate",
                    _rate(head["cancellation_rate"]),
                    _rate(last["cancellation_rate"]) if last else "N/A",
                ],
                [
                    "Attendance rate",
                    _rate(head["attendance_rate"]),
                    _rate(last["attendance_rate"]) if last else "N/A",
                ],
                [
                    "No-show rate",
                    _rate(head["no_show_rate"]),
                    _rate(last["no_show_rate"]) if last else "N/A",
                ],
            ],
        )
        if not compact:
            daily = data["daily_bookings"]
            series = [("This period", daily["this"])]
            if daily["last_year"] is not None:
                series.append(("Last year", daily["last_year"]))
            document.paragraph("Bookings per day", muted=True)
            document.line_chart([str(d) for d in range(1, daily["days"] + 1)], series)

    document.section("Class utilisation")
    if not data["class_types"]:
        document.paragraph(NA, muted=True)
    else:
        rows = data["class_types"]
        if not compact:
            document.bar_chart(
                [r[0] for r in rows],
                [(r[4] or 0) * 100 for r in rows],
                value_text=[_rate(r[4]) for r in rows],
            )
        document.table(
            ["Class type", "Classes", "Places booked", "Capacity", "Average filled"],
            [[r[0], r[1], r[2], r[3], _rate(r[4])] for r in rows],
        )

    document.section("Top classes")
    if not data["top_slots"]:
        document.paragraph(NA, muted=True)
    else:
        document.table(*top_slots_table(data))

    document.section("Instructors")
    if not data["instructors"]:
        document.paragraph(NA, muted=True)
    else:
        document.table(
            ["Instructor", "Classes", "Fill rate", "Attended", "No-show rate"],
            [[r[0], r[1], _rate(r[2]), r[3], _rate(r[4])] for r in data["instructors"]],
        )

    if data["studio"] is None and data["studios"] > 1:
        document.section("Studio by studio")
        rows = head["by_studio"]
        best = max(rows, key=lambda r: r[1]) if rows else None
        if best and best[1]:
            document.paragraph(f"Most bookings: {best[0]} ({best[1]:,}).")
        document.table(
            ["Studio", "Bookings", "Attendance", "Utilisation", "Classes"],
            [[r[0], r[1], _rate(r[2]), _rate(r[3]), r[4]] for r in rows],
        )
    return document.output()


def render_csv(data: dict) -> bytes:
    """Every figure as CSV: the fallback when the PDF cannot be made."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    head = data["headline"]
    writer.writerow([title(data)])
    writer.writerow(["section", "measure", "value"])
    writer.writerow(["summary", "revenue", _revenue_text(head["revenue"])])
    for key in (
        "bookings",
        "cancellations",
        "attended",
        "no_shows",
        "classes",
        "active_clients",
        "new_clients",
        "lost_clients",
    ):
        writer.writerow(["summary", key, head[key]])
    for key in ("cancellation_rate", "attendance_rate", "no_show_rate", "utilisation"):
        writer.writerow(["summary", key, _rate(head[key])])
    for name, amount in data["revenue_by_product"]:
        writer.writerow(["revenue_by_product", name, amount])
    for name, amount in data["revenue_by_kind"]:
        writer.writerow(["revenue_by_kind", name, amount])
    for row in data["class_types"]:
        writer.writerow(["utilisation_by_class_type", row[0], _rate(row[4])])
    for row in data["top_slots"]:
        studio = f" at {row[4]} ({row[5]})" if len(row) >= 6 else ""
        writer.writerow(["top_classes", f"{row[0]} {row[1]}{studio}", row[2]])
    for row in data["instructors"]:
        writer.writerow(["instructors", row[0], _rate(row[2])])
    for row in head["by_studio"]:
        writer.writerow(["studios", row[0], row[1]])
    return buffer.getvalue().encode("utf-8-sig")
