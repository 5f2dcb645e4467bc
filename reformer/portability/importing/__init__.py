"""Import of clients, active packages and future bookings from CSV (see reading.py for
the formats recognised, planning.py for the per-row checks, applying.py for the writes)."""

from reformer.portability.importing.applying import run_import
from reformer.portability.importing.planning import ImportPlan, RowResult
from reformer.portability.importing.reading import FIELDS, KINDS

__all__ = ["FIELDS", "KINDS", "ImportPlan", "RowResult", "run_import"]
