"""Revenue over time, by product, studio or payment kind, against a comparison period.

Revenue is the sum of succeeded payments (refunded or failed ones are not revenue), dated
by their creation in the reporting time zone. Payments carry a studio once the payments
work adds one (`Payment.studio`); until then a payment belongs to the organization as a
whole, so the studio breakdown shows one "Whole organization" line and a single-studio
view shows no revenue (as on the dashboard). The code reads the studio when the field
exists, so nothing here changes when it arrives.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncDay, TruncMonth, TruncWeek

from reformer.analytics.insight_filters import AnalyticsQuery
from reformer.analytics.tables import Table, change
from reformer.billing.models import PackageProduct, Payment
from reformer.core.timezones import zone

DIMENSIONS = {"product": "Product", "studio": "Studio", "kind": "Payment kind"}
_TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}
WHOLE_ORGANIZATION = "Whole organization"


def payments_have_studio() -> bool:
    return any(f.name == "studio" for f in Payment._meta.get_fields())


def revenue_attributable(q: AnalyticsQuery) -> bool:
    """Whether revenue can be shown for this scope at all."""
    return q.scope.whole_organization or payments_have_studio()


def succeeded_payments(q: AnalyticsQuery, start: dt.datetime, end: dt.datetime) -> QuerySet:
    payments = Payment.objects.filter(
        organization_id=q.organization_id,
        status=Payment.Status.SUCCEEDED,
        created_at__gte=start,
        created_at__lt=end,
    )
    if payments_have_studio() and not q.scope.whole_organization:
        # Only reached once Payment has a studio (see payments_have_studio).
        payments = payments.filter(**{"studio_id__in": q.scope.studio_ids})
    return payments


def _dimension_expression(dimension: str):
    if dimension == "product":
        return Coalesce(F("product__name"), Value("Other payments"))
    if dimension == "kind":
        return Coalesce(F("product__kind"), Value("other"))
    if payments_have_studio():
        return Coalesce(F("studio__name"), Value(WHOLE_ORGANIZATION))
    return Value(WHOLE_ORGANIZATION)


_KIND_LABELS = {**dict(PackageProduct.Kind.choices), "other": "Other"}


def bucket_starts(start: dt.date, end: dt.date, interval: str) -> list[dt.date]:
    if interval == "month":
        day = start.replace(day=1)
    elif interval == "week":
        day = start - dt.timedelta(days=start.weekday())
    else:
        day = start
    buckets = []
    while day <= end:
        buckets.append(day)
        if interval == "month":
            day = (day + dt.timedelta(days=32)).replace(day=1)
        elif interval == "week":
            day += dt.timedelta(weeks=1)
        else:
            day += dt.timedelta(days=1)
    return buckets


def bucket_last_day(start: dt.date, interval: str) -> dt.date:
    if interval == "month":
        return (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return start + dt.timedelta(days=6) if interval == "week" else start


def bucket_label(day: dt.date, interval: str) -> str:
    if interval == "month":
        return f"{day:%b %Y}"
    return f"{day:%b} {day.day}"


@dataclass
class RevenuePanel:
    available: bool
    dimension: str
    interval: str
    buckets: list[dt.date] = field(default_factory=list)
    series: dict[str, list[Decimal]] = field(default_factory=dict)
    totals: dict[str, Decimal] = field(default_factory=dict)  # currency -> total
    compare_totals: dict[str, Decimal] | None = None
    # The comparison period's total per bucket, aligned with `buckets` by position.
    compare_series: list[Decimal] | None = None
    payments: int = 0

    @property
    def labels(self) -> list[str]:
        return [bucket_label(day, self.interval) for day in self.buckets]

    def change(self, currency: str) -> float | None:
        if self.compare_totals is None:
            return None
        return change(
            float(self.totals.get(currency, 0)), float(self.compare_totals.get(currency, 0))
        )

    def table(self) -> Table:
        table = Table(
            f"Revenue by {DIMENSIONS[self.dimension].lower()}",
            [
                "Period starting",
                DIMENSIONS[self.dimension],
                "Revenue",
            ],
        )
        for name, values in self.series.items():
            for day, amount in zip(self.buckets, values, strict=True):
                if amount:
                    table.rows.append([day.isoformat(), name, f"{amount:.2f}"])
        table.rows.sort(key=lambda row: (row[0], row[1]))
        if not self.available:
            table.note = "Revenue is recorded for the whole organization; choose All studios."
        return table


def revenue_panel(q: AnalyticsQuery, dimension: str = "product") -> RevenuePanel:
    """Two grouped queries (period, comparison total) whatever the number of payments."""
    dimension = dimension if dimension in DIMENSIONS else "product"
    panel = RevenuePanel(revenue_attributable(q), dimension, q.interval)
    if not panel.available:
        return panel
    start, end = q.bounds()
    panel.buckets = bucket_starts(q.period.start, q.period.end, q.interval)
    index = {day: n for n, day in enumerate(panel.buckets)}
    rows = (
        succeeded_payments(q, start, end)
        .annotate(
            bucket=_TRUNC[q.interval]("created_at", tzinfo=zone(q.scope.time_zone)),
            name=_dimension_expression(dimension),
        )
        .values("bucket", "name", "currency")
        .annotate(total=Sum("amount"), n=Count("id"))
        .order_by()
    )
    currencies = set()
    raw = []
    for row in rows:
        currencies.add(row["currency"])
        raw.append(row)
    for row in raw:
        name = _KIND_LABELS.get(row["name"], row["name"]) if dimension == "kind" else row["name"]
        if len(currencies) > 1:
            name = f"{name} ({row['currency']})"
        values = panel.series.setdefault(name, [Decimal("0")] * len(panel.buckets))
        values[index[row["bucket"].date()]] += row["total"]
        panel.totals[row["currency"]] = (
            panel.totals.get(row["currency"], Decimal("0")) + row["total"]
        )
        panel.payments += row["n"]
    panel.series = dict(sorted(panel.series.items(), key=lambda item: -sum(item[1])))
    if q.comparison is not None:
        cstart, cend = q.bounds(q.comparison)
        # Aligned from the end: "previous" of a month may span two calendar months.
        earlier = bucket_starts(q.comparison.start, q.comparison.end, q.interval)
        shift = len(panel.buckets) - len(earlier)
        slot_of = {day: n + shift for n, day in enumerate(earlier)}
        panel.compare_totals = {}
        panel.compare_series = [Decimal("0")] * len(panel.buckets)
        for row in (
            succeeded_payments(q, cstart, cend)
            .annotate(bucket=_TRUNC[q.interval]("created_at", tzinfo=zone(q.scope.time_zone)))
            .values("bucket", "currency")
            .annotate(total=Sum("amount"))
            .order_by()
        ):
            currency = row["currency"]
            panel.compare_totals[currency] = panel.compare_totals.get(currency, 0) + row["total"]
            slot = slot_of.get(row["bucket"].date())
            if slot is not None and 0 <= slot < len(panel.compare_series):
                panel.compare_series[slot] += row["total"]
    return panel


def revenue_rows(q: AnalyticsQuery, bucket: dt.date, name: str = "", limit: int = 200) -> Table:
    """Drill-down: the payments behind one point of the chart."""
    from reformer.analytics.periods import Period

    start, end = Period("custom", bucket, bucket_last_day(bucket, q.interval)).utc_bounds(
        q.scope.time_zone
    )
    table = Table(
        f"Payments from {bucket_label(bucket, q.interval)}",
        ["Date", "Client", "Product", "Amount", "Currency"],
    )
    if not revenue_attributable(q):
        return table
    payments = (
        succeeded_payments(q, start, end)
        .select_related("client__user", "product")
        .order_by("created_at", "pk")
    )
    tz = zone(q.scope.time_zone)
    for payment in payments[:limit]:
        product = payment.product.name if payment.product else "Other payments"
        kind = payment.product.kind if payment.product else "other"
        if name and name not in (product, _KIND_LABELS.get(kind), WHOLE_ORGANIZATION):
            continue
        table.rows.append(
            [
                payment.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                payment.client.user.display_name,
                product,
                f"{payment.amount:.2f}",
                payment.currency,
            ]
        )
    return table
