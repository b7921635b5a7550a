"""The legal clock table (pure): which duties apply, when each is due, met and missed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from riskhub.incidents import clocks
from riskhub.incidents.clocks import Code, Facts, Notification, Status

BRUSSELS = ZoneInfo("Europe/Brussels")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
HIGH_PROVIDER = frozenset({"tier:high", "role:provider", "ai_system"})
HIGH_DEPLOYER = frozenset({"tier:high", "role:deployer", "ai_system"})
LIMITED_PROVIDER = frozenset({"tier:limited", "role:provider"})
AWARE = datetime(2026, 6, 10, 9, 30, tzinfo=BRUSSELS)


def codes(facts: Facts) -> list[str]:
    found, _ = clocks.applicable(facts)
    return sorted(c.code for c in found)


def clock(facts: Facts, code: str) -> clocks.Clock:
    found, _ = clocks.applicable(facts)
    return next(c for c in found if c.code == code)


# --- time arithmetic -------------------------------------------------------------------


def test_72_hours_are_elapsed_hours_across_the_spring_daylight_saving_change() -> None:
    # Brussels moves from +01:00 to +02:00 at 02:00 on Sunday 29 March 2026.
    aware = datetime(2026, 3, 28, 9, 0, tzinfo=BRUSSELS)
    facts = Facts(
        aware_at=aware, time_zone="Europe/Brussels", personal_data_breach=True, gdpr_applies=True
    )
    due = clock(facts, Code.GDPR_33).due
    # (Subtract in UTC: Python subtracts wall times when both sides share a zone.)
    assert due.astimezone(UTC) - aware.astimezone(UTC) == timedelta(hours=72)
    assert due.astimezone(UTC) == datetime(2026, 3, 31, 8, 0, tzinfo=UTC)
    # ... which reads 10:00 on the wall clock, not 09:00.
    assert (due.hour, due.utcoffset()) == (10, timedelta(hours=2))


def test_72_hours_are_elapsed_hours_across_the_autumn_change() -> None:
    aware = datetime(2026, 10, 24, 9, 0, tzinfo=BRUSSELS)  # +02:00 -> +01:00 on the 25th
    facts = Facts(
        aware_at=aware, time_zone="Europe/Brussels", personal_data_breach=True, gdpr_applies=True
    )
    due = clock(facts, Code.GDPR_33).due
    assert due.astimezone(UTC) - aware.astimezone(UTC) == timedelta(hours=72)
    assert due.hour == 8


def test_30_calendar_days_keep_the_local_wall_time_across_a_dst_change() -> None:
    # Los Angeles springs forward on 8 March 2026; aware just before it.
    aware = datetime(2026, 3, 7, 23, 30, tzinfo=LOS_ANGELES)
    facts = Facts(
        aware_at=aware,
        time_zone="America/Los_Angeles",
        personal_data_breach=True,
        california_residents=40,
    )
    due = clock(facts, Code.CA_RESIDENTS).due
    assert (due.year, due.month, due.day, due.hour, due.minute) == (2026, 4, 6, 23, 30)
    assert due.utcoffset() == timedelta(hours=-7)
    # 30 calendar days, one of them 23 hours long.
    assert due.astimezone(UTC) - aware.astimezone(UTC) == timedelta(days=30, hours=-1)


def test_days_are_counted_in_the_organisations_time_zone_not_the_input_offset() -> None:
    # 23:30 in New York is already the next day in Brussels.
    aware = datetime(2026, 6, 10, 23, 30, tzinfo=ZoneInfo("America/New_York"))
    facts = Facts(
        aware_at=aware,
        time_zone="Europe/Brussels",
        serious_incident="health",
        systems=(HIGH_PROVIDER,),
    )
    due = clock(facts, Code.AI_ACT_73).due
    assert due.tzinfo is not None
    assert (due.month, due.day, due.hour) == (6, 26, 5)  # 11 June 05:30 + 15 days


def test_a_wall_time_inside_the_spring_gap_becomes_the_first_real_instant_after_it() -> None:
    aware = datetime(2026, 2, 27, 2, 30, tzinfo=BRUSSELS)
    due = clocks.add_calendar_days(aware, 30, BRUSSELS)  # 29 March 02:30 does not exist
    assert due.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)


# --- the EU AI Act ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("serious", "days", "ref"),
    [
        ("death", 10, "Art. 73(4)"),
        ("widespread-infringement", 2, "Art. 73(3)"),
        ("critical-infrastructure", 2, "Art. 73(3)"),
        ("health", 15, "Art. 73(2)"),
        ("fundamental-rights", 15, "Art. 73(2)"),
        ("property-or-environment", 15, "Art. 73(2)"),
    ],
)
def test_article_73_period_depends_on_the_kind_of_serious_incident(
    serious: str, days: int, ref: str
) -> None:
    facts = Facts(
        aware_at=AWARE,
        time_zone="Europe/Brussels",
        serious_incident=serious,
        systems=(HIGH_PROVIDER,),
    )
    found = clock(facts, Code.AI_ACT_73)
    assert found.ref == ref
    assert found.due == AWARE + timedelta(days=days)  # same wall time, no DST in June
    assert found.statutory


@pytest.mark.parametrize(
    ("systems", "serious", "expected"),
    [
        ((HIGH_PROVIDER,), "health", [Code.AI_ACT_73]),
        ((HIGH_DEPLOYER,), "health", [Code.AI_ACT_26_5]),
        ((HIGH_PROVIDER, HIGH_DEPLOYER), "death", [Code.AI_ACT_26_5, Code.AI_ACT_73]),
        (
            (frozenset({"tier:high", "role:provider", "role:deployer"}),),
            "health",
            [Code.AI_ACT_26_5, Code.AI_ACT_73],
        ),
        ((LIMITED_PROVIDER,), "health", []),  # Art 73 concerns high-risk systems
        ((), "health", []),  # no classified system affected
        ((HIGH_PROVIDER,), None, []),  # not a serious incident
    ],
)
def test_which_ai_act_clocks_apply_for_which_classification_and_role(
    systems: tuple[frozenset[str], ...], serious: str | None, expected: list[str]
) -> None:
    facts = Facts(aware_at=AWARE, serious_incident=serious, systems=systems)
    assert codes(facts) == sorted(expected)


def test_a_deployer_informs_the_provider_within_a_24_hour_target() -> None:
    facts = Facts(aware_at=AWARE, serious_incident="health", systems=(HIGH_DEPLOYER,))
    found = clock(facts, Code.AI_ACT_26_5)
    assert found.due - AWARE == timedelta(hours=24)
    assert not found.statutory


def test_absent_ai_act_duty_is_explained() -> None:
    _, why_not = clocks.applicable(
        Facts(aware_at=AWARE, serious_incident="health", systems=(LIMITED_PROVIDER,))
    )
    assert any("high-risk" in reason for reason in why_not)


# --- GDPR and California ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"personal_data_breach": True}, [Code.GDPR_33]),
        (
            {"personal_data_breach": True, "high_risk_to_individuals": True},
            [Code.GDPR_33, Code.GDPR_34],
        ),
        ({"personal_data_breach": True, "breach_risk_unlikely": True}, []),
        ({"personal_data_breach": True, "gdpr_role": "processor"}, [Code.GDPR_33_2]),
        ({"personal_data_breach": True, "gdpr_applies": False}, []),
        ({"personal_data_breach": False}, []),
        (
            {"personal_data_breach": True, "california_residents": 12},
            [Code.CA_RESIDENTS, Code.GDPR_33],
        ),
        (
            {"personal_data_breach": True, "california_residents": 500, "gdpr_applies": False},
            [Code.CA_RESIDENTS],
        ),
        (
            {"personal_data_breach": True, "california_residents": 501, "gdpr_applies": False},
            [Code.CA_ATTORNEY_GENERAL, Code.CA_RESIDENTS],
        ),
    ],
)
def test_which_breach_clocks_apply(fields: dict[str, object], expected: list[str]) -> None:
    base: dict[str, object] = {"aware_at": AWARE, "gdpr_applies": True}
    assert codes(Facts(**{**base, **fields})) == sorted(expected)  # type: ignore[arg-type]


def test_the_attorney_generals_15_days_run_from_the_residents_notice() -> None:
    facts = Facts(
        aware_at=AWARE,
        time_zone="America/Los_Angeles",
        personal_data_breach=True,
        california_residents=2000,
    )
    sent = datetime(2026, 6, 20, 16, 0, tzinfo=LOS_ANGELES)
    found, _ = clocks.evaluate(facts, [Notification(Code.CA_RESIDENTS, sent)], sent)
    ag = next(c for c in found if c.code == Code.CA_ATTORNEY_GENERAL)
    assert ag.due == datetime(2026, 7, 5, 16, 0, tzinfo=LOS_ANGELES)
    assert ag.status == Status.RUNNING


# --- met and missed --------------------------------------------------------------------


def _gdpr(now: datetime, notified: datetime | None = None) -> clocks.Clock:
    facts = Facts(aware_at=AWARE, personal_data_breach=True, gdpr_applies=True)
    notes = [Notification(Code.GDPR_33, notified)] if notified else []
    found, _ = clocks.evaluate(facts, notes, now)
    return found[0]


def test_a_clock_runs_until_its_due_moment() -> None:
    found = _gdpr(AWARE + timedelta(hours=71, minutes=59))
    assert found.status == Status.RUNNING
    assert clocks.humanise(found.time_left(AWARE + timedelta(hours=71))) == "1 hour left"


def test_a_notification_in_time_meets_the_clock() -> None:
    found = _gdpr(AWARE + timedelta(days=10), notified=AWARE + timedelta(hours=72))
    assert found.status == Status.MET


def test_a_late_notification_does_not_meet_it() -> None:
    found = _gdpr(AWARE + timedelta(days=10), notified=AWARE + timedelta(hours=73))
    assert found.status == Status.MISSED


def test_no_notification_after_the_due_moment_is_missed() -> None:
    assert _gdpr(AWARE + timedelta(hours=72, seconds=1)).status == Status.MISSED


def test_a_notification_for_another_duty_does_not_meet_this_one() -> None:
    facts = Facts(aware_at=AWARE, personal_data_breach=True, gdpr_applies=True)
    found, _ = clocks.evaluate(facts, [Notification(Code.GDPR_34, AWARE)], AWARE)
    assert found[0].status == Status.RUNNING


def test_running_clocks_come_first_then_missed_then_met() -> None:
    facts = Facts(
        aware_at=AWARE,
        personal_data_breach=True,
        gdpr_applies=True,
        high_risk_to_individuals=True,
        california_residents=3,
    )
    now = AWARE + timedelta(days=4)
    found, _ = clocks.evaluate(facts, [Notification(Code.GDPR_34, AWARE)], now)
    assert [(c.code, c.status) for c in found] == [
        (Code.CA_RESIDENTS, Status.RUNNING),
        (Code.GDPR_33, Status.MISSED),
        (Code.GDPR_34, Status.MET),
    ]


@pytest.mark.parametrize(
    ("hours", "expected"),
    [(35, []), (36, ["50"]), (64.8, ["50", "90"]), (73, ["50", "90", "missed"])],
)
def test_alert_thresholds(hours: float, expected: list[str]) -> None:
    facts = Facts(aware_at=AWARE, personal_data_breach=True, gdpr_applies=True)
    now = AWARE + timedelta(hours=hours)
    found, _ = clocks.evaluate(facts, [], now)
    assert clocks.alert_thresholds(found[0], now) == expected
