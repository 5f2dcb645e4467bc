"""Receipts: a printable page and a PDF (fpdf2, with a bundled TTF font so "Zoë" and "€"
print), for the client who paid and for staff at that studio."""

from __future__ import annotations

from pathlib import Path

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from fpdf import FPDF

from reformer.billing.models import Payment
from reformer.core import timeformat
from reformer.core.money import format_money
from reformer.core.timezones import to_local
from reformer.payments import queries
from reformer.payments.notices import receipt_number
from reformer.web.auth import membership_required
from reformer.web.http import MemberRequest

FONTS = Path(__file__).resolve().parent.parent.parent / "payments" / "fonts"


def receipt_lines(payment: Payment) -> list[tuple[str, str]]:
    organization = payment.client.organization
    paid = to_local(payment.paid_at or payment.created_at, organization.time_zone)
    lines = [
        ("Receipt", receipt_number(payment)),
        ("Date", timeformat.when(paid, "day_year_time", timeformat.locale_of(organization))),
        ("Studio", payment.studio.name if payment.studio else organization.name),
        ("Client", payment.client.user.name or payment.client.user.email),
        (
            "Item",
            payment.product.name if payment.product else payment.note or payment.get_kind_display(),
        ),
        ("Paid with", payment.get_method_display()),
        ("Amount", format_money(payment.amount, payment.currency)),
        ("Status", payment.get_status_display()),
    ]
    for refund in payment.refunds.all():
        when = to_local(refund.created_at, organization.time_zone)
        lines.append(
            (
                f"Refund {when.day} {when:%b %Y}",
                f"\N{MINUS SIGN}{format_money(refund.amount, payment.currency)}",
            )
        )
    return lines


@require_GET
@membership_required
def receipt(request: MemberRequest, pk: int) -> HttpResponse:
    payment = queries.payment_for(request.membership, pk)
    return render(
        request,
        "payments/receipt.html",
        {"payment": payment, "lines": receipt_lines(payment), "number": receipt_number(payment)},
    )


@require_GET
@membership_required
def receipt_pdf(request: MemberRequest, pk: int) -> HttpResponse:
    payment = queries.payment_for(request.membership, pk)
    pdf = FPDF(format=(148, 210))  # A5, in millimetres
    pdf.add_font("Liberation", "", str(FONTS / "LiberationSans-Regular.ttf"))
    pdf.add_font("Liberation", "B", str(FONTS / "LiberationSans-Bold.ttf"))
    pdf.set_title(f"Receipt {receipt_number(payment)}")
    pdf.add_page()
    pdf.set_font("Liberation", "B", 16)
    pdf.cell(0, 10, payment.client.organization.name, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Liberation", "", 10)
    pdf.ln(4)
    for label, value in receipt_lines(payment):
        pdf.set_font("Liberation", "B", 10)
        pdf.cell(40, 8, label)
        pdf.set_font("Liberation", "", 10)
        pdf.multi_cell(0, 8, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Liberation", "", 8)
    pdf.multi_cell(
        0,
        5,
        "Thank you. Card payments are processed by Stripe; the studio never sees card numbers.",
    )
    response = HttpResponse(bytes(pdf.output()), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="receipt-{receipt_number(payment)}.pdf"'
    )
    return response
