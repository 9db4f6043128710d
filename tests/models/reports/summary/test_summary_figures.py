"""The summary's figures against an independent count over a generated year (SQLite and
PostgreSQL): every item outcome, unit, activity sum, reminder and month."""

from __future__ import annotations

import pytest

from models.domain.periods import parse_period
from models.reports.summary.context import as_json
from models.reports.summary.figures import compute
from tests.support.summary_year import AS_OF, SHANGHAI, generate


@pytest.fixture
def year(engine):
    expected = generate(engine, items=3000, activities=600, units=12, outbox=800, extensions=200)
    with engine.connect() as conn:
        figures = compute(conn, parse_period("2026"), as_of=AS_OF, tz=SHANGHAI)
    return expected, figures


def test_items_per_kind_match_the_independent_count(year):
    expected, figures = year
    got = as_json(figures)["items"]
    for kind, counts in expected.kinds.items():
        assert got[kind] == {"total": counts["total"], "done_on_time": counts["on_time"],
                             "done_late": counts["late"], "open": counts["open"],
                             "overdue": counts["overdue"]}, kind
    assert sum(c["total"] for c in got.values()) > 2000  # the draw really filled the year


def test_units_due_on_time_late_missing_and_rate(year):
    expected, figures = year
    units = {u["unit"]: u for u in as_json(figures)["units"]}
    assert set(units) == set(expected.units)
    for name, c in expected.units.items():
        due = c["on_time"] + c["late"] + c["overdue"]
        assert (units[name]["due"], units[name]["on_time"], units[name]["late"],
                units[name]["missing"]) == (due, c["on_time"], c["late"], c["overdue"]), name
        assert units[name]["rate"] == round(c["on_time"] / due, 4)
    rates = [u["rate"] for u in as_json(figures)["units"]]
    assert rates == sorted(rates, reverse=True)


def test_activity_sums_per_category(year):
    expected, figures = year
    got = as_json(figures)["activities"]
    assert set(got) == set(expected.activities)
    for name, c in expected.activities.items():
        assert got[name]["count"] == c["count"]
        assert (got[name]["times"], got[name]["people"], got[name]["pieces"]) == (
            c["times"], c["people"], c["pieces"])
        assert got[name]["amount"] == pytest.approx(c["amount"])


def test_reminders_sent_per_stage_and_monthly_overdue(year):
    expected, figures = year
    got = as_json(figures)
    for stage in ("临期提醒", "逾期催办", "督办", "通报", "周报"):
        assert got["reminders"][stage] == expected.reminders[stage], stage
    assert got["extensions"] == expected.extensions > 0
    assert got["monthly_overdue"] == {f"2026-{m:02d}": expected.monthly[m] for m in range(1, 13)}


def test_meetings_held_and_minutes(year):
    expected, figures = year
    assert figures.meetings_held == expected.kinds["会议"]["on_time"] > 0
    m = expected.minutes
    assert (figures.minutes.on_time, figures.minutes.late, figures.minutes.overdue) == (
        m["on_time"], m["late"], m["overdue"])
    assert m["on_time"] + m["late"] > 0


def test_rectifications_and_carry_over_candidates(year):
    expected, figures = year
    assert len(figures.rectifications) == expected.rectifications
    assert figures.carry_total == expected.carry
    assert len(figures.carry) == min(expected.carry, 100)
    assert [i.deadline for i in figures.carry] == sorted(i.deadline for i in figures.carry)
    assert all(not item.done for item in figures.carry)


def test_a_quarter_counts_only_its_own_deadlines(engine):
    generate(engine, items=800, activities=100, units=4)
    with engine.connect() as conn:
        year = compute(conn, parse_period("2026"), as_of=AS_OF, tz=SHANGHAI)
        quarters = [compute(conn, parse_period(f"2026-Q{q}"), as_of=AS_OF, tz=SHANGHAI)
                    for q in range(1, 5)]
        december = compute(conn, parse_period("2026-12"), as_of=AS_OF, tz=SHANGHAI)
    for kind, outcome in year.kinds.items():
        assert outcome.total == sum(q.kinds[kind].total for q in quarters)
        assert outcome.on_time == sum(q.kinds[kind].on_time for q in quarters)
    assert december.all_items.total < quarters[3].all_items.total
    assert [m.month for m, _ in december.monthly_overdue] == [12]


def test_an_empty_year_has_no_data(engine):
    with engine.connect() as conn:
        figures = compute(conn, parse_period("2025"), as_of=AS_OF, tz=SHANGHAI)
    assert not figures.has_data
    assert figures.units == [] and figures.rectifications == []


def test_monthly_overdue_follows_recorded_dates_not_entry_dates(session):
    from datetime import datetime

    from models.records.items import complete_item
    from tests.support.factories import make_item, make_unit

    entered = datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI)  # a ledger keyed in late
    make_unit(session, now=entered)
    late = make_item(session, deadline="2026-03-10", now=entered)
    complete_item(session, late.id, at=datetime(2026, 5, 6, 10, 0, tzinfo=SHANGHAI),
                  actor="t", now=entered)
    make_item(session, deadline="2026-04-10", now=entered)  # still open
    make_item(session, deadline="2026-02-10", now=AS_OF.replace(day=21))  # entered after as-of
    session.flush()
    figures = compute(session.connection(), parse_period("2026"), as_of=AS_OF, tz=SHANGHAI)
    by_month = {m.month: n for m, n in figures.monthly_overdue}
    assert [by_month[m] for m in range(1, 13)] == [0, 0, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1]
