"""Scenarios not yet proved, each naming the open issue that builds its feature.

Keys are (feature, scenario title) or (feature, "*") for every scenario of a feature. When an
issue lands, its entries go and its tests carry `scenario` markers instead; the traceability
test fails while an entry here has a proving test too.
"""

PENDING: dict[tuple[str, str], str] = {}
