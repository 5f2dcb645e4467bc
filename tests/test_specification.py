"""Every scenario of the specification is proved by a marked test, or pending on an open issue."""

from __future__ import annotations

import pytest

from tests import specification as spec
from tests.specification_notes import NOTES
from tests.specification_pending import PENDING


@pytest.fixture(scope="module")
def scenarios() -> list[spec.Scenario]:
    assert spec.SPEC.exists(), f"the specification is expected at {spec.SPEC}"
    return spec.scenarios()


@pytest.fixture(scope="module")
def proofs() -> list[spec.Proof]:
    return spec.proofs()


def _pending(scenario: spec.Scenario) -> bool:
    return scenario.key in PENDING or (scenario.feature, "*") in PENDING


def test_the_specification_is_read_whole(scenarios):
    features = {s.feature for s in scenarios}
    assert features == {f"PHX-{n}" for n in range(9, 27)}
    assert len(scenarios) == 108
    assert len({s.key for s in scenarios}) == len(scenarios), "scenario titles repeat"


def test_every_scenario_is_proved_or_pending(scenarios, proofs):
    proved = {(p.feature, p.title) for p in proofs}
    missing = [
        f"{s.feature} {s.title}" for s in scenarios if s.key not in proved and not _pending(s)
    ]
    assert not missing, "scenarios with no test marked @pytest.mark.scenario:\n" + "\n".join(
        missing
    )


def test_a_proved_scenario_is_no_longer_pending(scenarios, proofs):
    proved = {(p.feature, p.title) for p in proofs}
    stale = [key for key in PENDING if key in proved]
    stale += [
        (feature, "*")
        for feature, title in PENDING
        if title == "*" and all(s.key in proved for s in scenarios if s.feature == feature)
    ]
    assert not stale, f"remove from tests/specification_pending.py: {stale}"


def test_every_marker_names_a_scenario_of_the_specification(scenarios, proofs):
    known = {s.key for s in scenarios}
    unknown = [
        f"{p.test}: {p.feature} {p.title!r}" for p in proofs if (p.feature, p.title) not in known
    ]
    assert not unknown, "markers naming no scenario (check the title):\n" + "\n".join(unknown)


def test_every_pending_entry_names_a_scenario(scenarios):
    known = {s.key for s in scenarios} | {(s.feature, "*") for s in scenarios}
    assert not [key for key in PENDING if key not in known]


def test_every_note_names_a_scenario(scenarios):
    known = {s.key for s in scenarios}
    assert not [key for key in NOTES if key not in known]


def test_the_generated_document_is_current(scenarios, proofs):
    expected = spec.render(scenarios, proofs)
    current = spec.DOC.read_text(encoding="utf-8") if spec.DOC.exists() else ""
    assert current == expected, (
        "docs/specification.md is stale: uv run python -m tests.specification"
    )
