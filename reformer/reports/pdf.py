"""PDF documents with fpdf2: a title block, sections, key figures, tables and charts drawn
as vector shapes (no image library, so a report renders the same everywhere).

The font is DejaVu Sans, shipped in reports/fonts (it covers "Zoë", "€", "£", "ł" and
the rest of Latin, Greek and Cyrillic). Pages are A4 portrait in one column with 11 pt
body text, which reads on a phone without zooming sideways.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"
INK = (28, 34, 48)
MUTED = (84, 93, 110)
LINE = (214, 218, 226)
SUNKEN = (245, 246, 248)
BRAND = (59, 110, 143)
COMPARE = (160, 168, 182)
PALETTE = [
    (59, 110, 143),
    (214, 128, 57),
    (86, 156, 96),
    (168, 84, 140),
    (199, 161, 42),
    (96, 112, 186),
]


def _hex(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    try:
        return (int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16))
    except (ValueError, IndexError):
        return BRAND


class ReportDocument(FPDF):
    def __init__(self, *, title: str, brand: str = "#3b6e8f", footer_text: str = "") -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.brand = _hex(brand)
        self.footer_text = footer_text or title
        self.set_title(title)
        self.set_author("Reformer")
        self.set_creator("Reformer")
        self.set_margins(16, 16, 16)
        self.set_auto_page_break(True, margin=18)
        self.add_page()
        self.set_font(FONT, "", 11)
        self.set_text_color(*INK)

    # ---- page furniture ------------------------------------------------------------------
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, self.footer_text, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(*INK)

    @property
    def content_width(self) -> float:
        return self.w - self.l_margin - self.r_margin

    def _room_for(self, height: float) -> None:
        if self.get_y() + height > self.h - self.b_margin:
            self.add_page()

    # ---- text ----------------------------------------------------------------------------
    def cover(self, title: str, lines: Sequence[str] = ()) -> None:
        self.set_fill_color(*self.brand)
        self.rect(0, 0, self.w, 4, style="F")
        self.set_font(FONT, "B", 20)
        self.multi_cell(0, 9, title, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT, "", 11)
        self.set_text_color(*MUTED)
        for line in lines:
            self.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(*INK)
        self.ln(4)

    def section(self, title: str) -> None:
        # A heading never ends a page: keep room for it and the first lines of its content.
        self._room_for(45)
        self.ln(3)
        self.set_font(FONT, "B", 14)
        self.set_text_color(*self.brand)
        self.multi_cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(*LINE)
        self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
        self.ln(4)
        self.set_text_color(*INK)
        self.set_font(FONT, "", 11)

    def paragraph(self, text: str, *, muted: bool = False) -> None:
        self.set_font(FONT, "", 11)
        if muted:
            self.set_text_color(*MUTED)
        self.multi_cell(0, 6, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(*INK)
        self.ln(2)

    def callout(self, text: str) -> None:
        """A tinted box for a message that matters (welcome, fallback notices)."""
        self._room_for(20)
        self.set_fill_color(231, 239, 250)
        self.set_font(FONT, "", 11)
        self.multi_cell(0, 6, text, fill=True, padding=3, align="L", new_x="LMARGIN", new_y="NEXT")
        self.ln(3)

    # ---- key figures ---------------------------------------------------------------------
    def kpis(self, items: Sequence[tuple[str, str, str]]) -> None:
        """Cards of (label, value, note), two a row: wide enough to read on a phone."""
        gap, columns = 4, 2
        width = (self.content_width - gap * (columns - 1)) / columns
        height = 24
        for index in range(0, len(items), columns):
            self._room_for(height + gap)
            y = self.get_y()
            for offset, (label, value, note) in enumerate(items[index : index + columns]):
                x = self.l_margin + offset * (width + gap)
                self.set_fill_color(*SUNKEN)
                self.set_draw_color(*LINE)
                self.rect(x, y, width, height, style="DF", round_corners=True, corner_radius=2)
                self.set_xy(x + 3, y + 2.5)
                self.set_font(FONT, "", 9)
                self.set_text_color(*MUTED)
                self.cell(width - 6, 5, label)
                self.set_xy(x + 3, y + 8)
                self.set_font(FONT, "B", 15)
                self.set_text_color(*INK)
                self.cell(width - 6, 8, value)
                self.set_xy(x + 3, y + 17)
                self.set_font(FONT, "", 8.5)
                self.set_text_color(*MUTED)
                self.cell(width - 6, 5, note)
            self.set_xy(self.l_margin, y + height + gap)
        self.set_text_color(*INK)
        self.set_font(FONT, "", 11)

    # ---- tables --------------------------------------------------------------------------
    def table(  # type: ignore[override]  # a simpler table than FPDF's context manager
        self, columns: Sequence[str], rows: Sequence[Sequence[object]]
    ) -> None:
        if not rows:
            self.paragraph("N/A - Insufficient data", muted=True)
            return
        self._room_for(20)
        self.set_font(FONT, "", 9.5)
        self.set_draw_color(*LINE)
        self.set_fill_color(255, 255, 255)
        heading = FontFace(emphasis="BOLD", color=INK, fill_color=(231, 239, 250))
        with super().table(
            headings_style=heading,
            line_height=5.5,
            padding=1.5,
            cell_fill_color=SUNKEN,
            cell_fill_mode="ROWS",
            text_align="LEFT",
            borders_layout="HORIZONTAL_LINES",
        ) as table:
            table.row([str(column) for column in columns])
            for values in rows:
                table.row(["" if value is None else str(value) for value in values])
        self.ln(3)
        self.set_font(FONT, "", 11)

    # ---- charts --------------------------------------------------------------------------
    def bar_chart(
        self, labels: Sequence[str], values: Sequence[float], *, value_text: Sequence[str]
    ) -> None:
        """Horizontal bars, one a line, the figure written at the end of each bar."""
        if not labels:
            self.paragraph("N/A - Insufficient data", muted=True)
            return
        label_width, bar_height, gap = 48, 6, 2.5
        top = max(values) or 1
        self._room_for(len(labels) * (bar_height + gap) + 4)
        room = self.content_width - label_width - 22
        self.set_font(FONT, "", 9)
        for label, value, text in zip(labels, values, value_text, strict=True):
            y = self.get_y()
            self.set_xy(self.l_margin, y)
            self.cell(label_width - 2, bar_height, label[:34], align="R")
            width = max(room * (value / top), 0.6)
            self.set_fill_color(*self.brand)
            self.rect(self.l_margin + label_width, y + 0.8, width, bar_height - 1.6, style="F")
            self.set_xy(self.l_margin + label_width + width + 1.5, y)
            self.cell(20, bar_height, text)
            self.set_y(y + bar_height + gap)
        self.ln(2)
        self.set_font(FONT, "", 11)

    def line_chart(
        self,
        labels: Sequence[str],
        series: Sequence[tuple[str, Sequence[float]]],
        *,
        height: float = 55,
    ) -> None:
        """Lines over shared x labels; the second series (a comparison) is drawn lighter."""
        points = [v for _, values in series for v in values]
        if not labels or not points:
            self.paragraph("N/A - Insufficient data", muted=True)
            return
        self._room_for(height + 16)
        left, top = self.l_margin + 12, self.get_y() + 2
        width = self.content_width - 14
        ceiling = max(points) or 1
        self.set_draw_color(*LINE)
        self.set_font(FONT, "", 7.5)
        self.set_text_color(*MUTED)
        for step in range(5):
            y = top + height - height * step / 4
            self.line(left, y, left + width, y)
            self.set_xy(self.l_margin - 2, y - 2)
            self.cell(13, 4, f"{ceiling * step / 4:,.0f}", align="R")
        count = len(labels)
        every = max(1, count // 8)
        for index, label in enumerate(labels):
            if index % every == 0 or index == count - 1:
                x = left + (width * index / max(count - 1, 1))
                self.set_xy(x - 10, top + height + 1)
                self.cell(20, 4, label, align="C")
        for position, (_name, values) in enumerate(series):
            colour = self.brand if position == 0 else COMPARE
            self.set_draw_color(*colour)
            self.set_line_width(0.7 if position == 0 else 0.45)
            coords = [
                (left + width * i / max(count - 1, 1), top + height - height * v / ceiling)
                for i, v in enumerate(values)
            ]
            if len(coords) == 1:
                self.set_fill_color(*colour)
                self.ellipse(coords[0][0] - 1, coords[0][1] - 1, 2, 2, style="F")
            else:
                self.polyline(coords)
        self.set_line_width(0.2)
        self.set_y(top + height + 7)
        for position, (name, _) in enumerate(series):
            colour = self.brand if position == 0 else COMPARE
            self.set_fill_color(*colour)
            x = self.l_margin + 12 + position * 60
            self.rect(x, self.get_y() + 1.2, 4, 2, style="F")
            self.set_xy(x + 5, self.get_y())
            self.cell(55, 4.5, name)
        self.set_text_color(*INK)
        self.ln(8)
        self.set_font(FONT, "", 11)

    def output(self) -> bytes:  # type: ignore[override]
        self.alias_nb_pages()
        return bytes(super().output())
