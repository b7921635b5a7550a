"""The legal clocks of an incident: which notification duties apply, and when each is due.

Pure: no database, no Django. The services gather the facts (the incident's flags, the
roles and tiers of the affected AI systems, the organisation profile) into `Facts`;
`clocks(facts, notifications, now)` returns one `Clock` per duty that applies.

How time is counted (the choice is deliberate and tested):

* **Hours are elapsed hours.** GDPR Art 33's 72 hours are 72 hours of real time from the
  moment of awareness, whatever the wall clock does in between (a daylight-saving change
  makes them 71 or 73 "wall" hours). Computed in UTC.
* **Days are calendar days in the organisation's time zone**, due at the *same local
  wall time* N calendar days later (aware on 10 March at 14:30 in Los Angeles -> due
  9 April at 14:30 Los Angeles time, even though a DST change shortens one of those days).
  Computed with zoneinfo on the local date, so DST never shifts the wall time. This is
  the conservative reading: a lawyer may argue the last day runs until midnight, but
  nobody argues it ends earlier. If the wall time does not exist on the due day (the
  spring-forward gap), zoneinfo's fold=0 maps it to the first instant after the gap.
* **"Immediately" and "without undue delay"** have no statutory number. RiskHub gives
  those clocks an internal target (24 hours for "immediately", 72 hours for "without
  undue delay", matching the Art 33 ceiling) and marks them `statutory=False`, so a
  person reads "target", never "legal deadline".

**Application dates.** An AI Act duty is law only from the date the catalog gives for
the affected system's category (Art 113 as amended by Reg (EU) 2026/1744: Annex III
systems from 2 Dec 2027, Annex I systems from 2 Aug 2028). Before it, the clock still
runs, as a recommended target (`statutory=False`) that names the date it becomes law.
The dates are read from the catalog (`Facts.ai_act_dates`), never written here.

**California breach notices (Cal. Civ. Code 1798.82).** The statute binds any person or
business that conducts business in California, not only CCPA businesses. The owner or
licensee of the data notifies residents within 30 days ((a)); a maintainer of data it does
not own notifies the owner or licensee immediately ((b)): a 24-hour RiskHub target.

A clock is **met** when a notification naming it was recorded no later than its due
moment, **missed** when it was recorded later or when the due moment passed with none,
and **running** otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from riskhub.common.timezones import zone_named
from riskhub.compliance.applicability import DateEntry, applies_from


class SeriousIncident(StrEnum):
    """Art 3(49)(a)-(d) of the AI Act, with (a) split into death and health, and (c)
    named as the fundamental-rights infringement it is."""

    DEATH = "death"  # 3(49)(a) death of a person
    HEALTH = "health"  # 3(49)(a) serious harm to a person's health
    CRITICAL_INFRASTRUCTURE = "critical-infrastructure"  # 3(49)(b)
    FUNDAMENTAL_RIGHTS = "fundamental-rights"  # 3(49)(c)
    PROPERTY_OR_ENVIRONMENT = "property-or-environment"  # 3(49)(d)
    WIDESPREAD_INFRINGEMENT = "widespread-infringement"  # Art 3(61), Art 73(3)


SERIOUS_INCIDENT_LABELS: dict[str, str] = {
    SeriousIncident.DEATH: "Death of a person (Art 3(49)(a))",
    SeriousIncident.HEALTH: "Serious harm to a person's health (Art 3(49)(a))",
    SeriousIncident.CRITICAL_INFRASTRUCTURE: (
        "Serious and irreversible disruption of critical infrastructure (Art 3(49)(b))"
    ),
    SeriousIncident.FUNDAMENTAL_RIGHTS: (
        "Infringement of obligations protecting fundamental rights (Art 3(49)(c))"
    ),
    SeriousIncident.PROPERTY_OR_ENVIRONMENT: (
        "Serious harm to property or the environment (Art 3(49)(d))"
    ),
    SeriousIncident.WIDESPREAD_INFRINGEMENT: "Widespread infringement (Art 3(61), Art 73(3))",
}


class Status(StrEnum):
    RUNNING = "running"
    MET = "met"
    MISSED = "missed"


class Code(StrEnum):
    """Stable identifiers a notification names to say which duty it satisfies."""

    AI_ACT_73 = "eu-ai-act:73"
    AI_ACT_26_5 = "eu-ai-act:26(5)"
    GDPR_33 = "gdpr:33"
    GDPR_33_2 = "gdpr:33(2)"
    GDPR_34 = "gdpr:34"
    CA_RESIDENTS = "ca-civ-code:1798.82-residents"
    CA_ATTORNEY_GENERAL = "ca-civ-code:1798.82-ag"
    CA_OWNER = "ca-civ-code:1798.82-owner"


CODE_LABELS: dict[str, str] = {
    Code.AI_ACT_73: "EU AI Act Art. 73: serious-incident report to the market surveillance authority",
    Code.AI_ACT_26_5: "EU AI Act Art. 26(5): deployer informs the provider",
    Code.GDPR_33: "GDPR Art. 33(1): notify the supervisory authority",
    Code.GDPR_33_2: "GDPR Art. 33(2): processor notifies the controller",
    Code.GDPR_34: "GDPR Art. 34(1): communicate the breach to the data subjects",
    Code.CA_RESIDENTS: "Cal. Civ. Code 1798.82(a): notify affected California residents",
    Code.CA_ATTORNEY_GENERAL: "Cal. Civ. Code 1798.82(f): sample notice to the Attorney General",
    Code.CA_OWNER: "Cal. Civ. Code 1798.82(b): maintainer notifies the owner or licensee",
}

# The catalog requirement whose applies_from dates say when each AI Act clock is law.
AI_ACT_DATE_REFS: dict[str, str] = {Code.AI_ACT_73: "Art. 73", Code.AI_ACT_26_5: "Art. 26"}

IMMEDIATELY = timedelta(hours=24)
WITHOUT_UNDUE_DELAY = timedelta(hours=72)
CA_AG_THRESHOLD = 500


@dataclass(frozen=True)
class Facts:
    aware_at: datetime
    time_zone: str = "UTC"
    personal_data_breach: bool = False
    breach_risk_unlikely: bool = False
    high_risk_to_individuals: bool = False
    serious_incident: str | None = None
    california_residents: int = 0
    # Fact tokens of the affected AI systems (and of the systems downstream of the
    # affected datasets, models and endpoints), one set per system.
    systems: tuple[frozenset[str], ...] = ()
    gdpr_applies: bool = False
    gdpr_role: str = "controller"
    # Organisation profile facts for Cal. Civ. Code 1798.82; None / "" = not answered.
    ca_conducts_business: bool | None = None
    ca_breach_role: str = ""
    # applies_from entries of the catalog, by requirement ref (AI_ACT_DATE_REFS). Empty:
    # no catalog loaded, and the duty is taken to be in force.
    ai_act_dates: Mapping[str, Sequence[DateEntry]] = field(default_factory=dict)


@dataclass(frozen=True)
class Notification:
    clock: str
    at: datetime


@dataclass
class Clock:
    code: str
    framework: str
    ref: str
    title: str
    recipient: str
    started_at: datetime
    due: datetime
    statutory: bool
    basis: str
    status: Status = Status.RUNNING
    notified_at: datetime | None = None
    depends_on: str | None = None
    # Set when the duty is not yet law for the affected systems: the date it becomes law.
    in_force_from: date | None = None
    window: timedelta = field(init=False)

    def __post_init__(self) -> None:
        self.window = self.due - self.started_at

    def time_left(self, now: datetime) -> timedelta:
        return self.due - now

    def elapsed_fraction(self, now: datetime) -> float:
        seconds = self.window.total_seconds()
        if seconds <= 0:
            return 1.0
        return max(0.0, (now - self.started_at).total_seconds() / seconds)

    def as_dict(self) -> dict[str, object]:
        return {
            "framework": self.framework,
            "ref": self.ref,
            "due": self.due.isoformat(),
            "status": str(self.status),
            "code": self.code,
            "title": self.title,
            "recipient": self.recipient,
            "statutory": self.statutory,
            "notified_at": self.notified_at.isoformat() if self.notified_at else None,
            "in_force_from": self.in_force_from.isoformat() if self.in_force_from else None,
        }


def add_hours(start: datetime, hours: float, tz: ZoneInfo) -> datetime:
    """Elapsed hours: arithmetic in UTC (aware datetime + timedelta in one zone is wall
    arithmetic in Python, which would be wrong across a DST change)."""
    return (start.astimezone(UTC) + timedelta(hours=hours)).astimezone(tz)


def add_calendar_days(start: datetime, days: int, tz: ZoneInfo) -> datetime:
    """Same local wall time `days` calendar days later in `tz`."""
    local = start.astimezone(tz)
    naive = datetime.combine(local.date() + timedelta(days=days), local.time())
    # Normalise through UTC so a wall time in the spring-forward gap becomes a real instant.
    return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)


def zone_or_utc(name: str) -> ZoneInfo:
    """The organisation's time zone, or UTC when the name is empty or unknown."""
    return zone_named(name, ZoneInfo("UTC"))


def law_date(
    entries: Sequence[DateEntry] | None, systems: Iterable[frozenset[str]]
) -> DateEntry | None:
    """The date an AI Act duty becomes law for the affected systems: for each system, the
    first catalog entry its facts match (its category's date); the earliest over the
    systems wins, since one system under the law is enough. A system whose category is not
    recorded takes the earliest date of all entries (the conservative reading). None when
    the catalog gives no date."""
    if not entries:
        return None
    earliest = min(entries, key=lambda entry: entry.date)
    found = [applies_from(entries, system) or earliest for system in systems]
    return min(found, key=lambda entry: entry.date) if found else earliest


def _not_yet_law(entry: DateEntry | None, start: datetime) -> DateEntry | None:
    return entry if entry is not None and entry.date > start.date() else None


def ai_act_73_days(serious_incident: str) -> tuple[int, str]:
    """Art 73(2)-(4): the reporting period in days and the paragraph that sets it."""
    if serious_incident == SeriousIncident.DEATH:
        return 10, "Art. 73(4)"
    if serious_incident in (
        SeriousIncident.WIDESPREAD_INFRINGEMENT,
        SeriousIncident.CRITICAL_INFRASTRUCTURE,
    ):
        return 2, "Art. 73(3)"
    return 15, "Art. 73(2)"


def applicable(facts: Facts) -> tuple[list[Clock], list[str]]:
    """The clocks that apply (not yet matched with notifications), and the reasons
    for the ones that do not, so a person can see why a duty is absent."""
    tz = zone_or_utc(facts.time_zone)
    start = facts.aware_at.astimezone(tz)
    out: list[Clock] = []
    why_not: list[str] = []

    if facts.serious_incident:
        providing = [s for s in facts.systems if {"tier:high", "role:provider"} <= s]
        deploying = [s for s in facts.systems if {"tier:high", "role:deployer"} <= s]
        provider, deployer = bool(providing), bool(deploying)
        if provider:
            days, ref = ai_act_73_days(facts.serious_incident)
            pending = _not_yet_law(
                law_date(facts.ai_act_dates.get(AI_ACT_DATE_REFS[Code.AI_ACT_73]), providing),
                start,
            )
            basis = (
                f"No later than {days} days after becoming aware; the organisation is provider "
                "of an affected high-risk AI system."
            )
            if pending:
                basis = (
                    f"Not yet in force for the affected system: Art. 73 becomes law on "
                    f"{_day(pending.date)} ({pending.condition}). Until then RiskHub recommends "
                    f"the statutory period as a target: {days} days after becoming aware."
                )
            out.append(
                Clock(
                    code=Code.AI_ACT_73,
                    framework="eu-ai-act",
                    ref=ref,
                    title="Report the serious incident",
                    recipient="Market surveillance authority of the Member State where it occurred",
                    started_at=start,
                    due=add_calendar_days(start, days, tz),
                    statutory=pending is None,
                    basis=basis,
                    in_force_from=pending.date if pending else None,
                )
            )
        if deployer:
            pending = _not_yet_law(
                law_date(facts.ai_act_dates.get(AI_ACT_DATE_REFS[Code.AI_ACT_26_5]), deploying),
                start,
            )
            basis = (
                "“Immediately”; RiskHub target: 24 hours. The organisation is deployer of an "
                "affected high-risk AI system."
            )
            if pending:
                basis = (
                    f"Not yet in force for the affected system: Art. 26 becomes law on "
                    f"{_day(pending.date)} ({pending.condition}). Until then RiskHub "
                    "recommends informing the provider within 24 hours."
                )
            out.append(
                Clock(
                    code=Code.AI_ACT_26_5,
                    framework="eu-ai-act",
                    ref="Art. 26(5)",
                    title="Inform the provider of the serious incident",
                    recipient="Provider of the AI system (then importer or distributor, and the "
                    "market surveillance authority)",
                    started_at=start,
                    due=add_hours(start, IMMEDIATELY.total_seconds() / 3600, tz),
                    statutory=False,
                    basis=basis,
                    in_force_from=pending.date if pending else None,
                )
            )
        if not provider and not deployer:
            why_not.append(
                "EU AI Act Art. 73 / 26(5): no affected AI system is classified high-risk "
                "with the organisation as provider or deployer."
            )

    if facts.personal_data_breach:
        if not facts.gdpr_applies:
            why_not.append(
                "GDPR Art. 33/34: the GDPR does not apply to the affected assets "
                "(no EU establishment and no EU data subjects)."
            )
        elif facts.gdpr_role == "processor":
            out.append(
                Clock(
                    code=Code.GDPR_33_2,
                    framework="gdpr",
                    ref="Art. 33(2)",
                    title="Notify the controller of the breach",
                    recipient="The controller",
                    started_at=start,
                    due=add_hours(start, IMMEDIATELY.total_seconds() / 3600, tz),
                    statutory=False,
                    basis="“Without undue delay”; RiskHub target for a processor: 24 hours, "
                    "so the controller keeps its 72 hours.",
                )
            )
        else:
            if facts.breach_risk_unlikely:
                why_not.append(
                    "GDPR Art. 33(1): the breach is recorded as unlikely to result in a risk "
                    "to individuals; document it (Art. 33(5)) without notifying."
                )
            else:
                out.append(
                    Clock(
                        code=Code.GDPR_33,
                        framework="gdpr",
                        ref="Art. 33(1)",
                        title="Notify the supervisory authority",
                        recipient="Lead supervisory authority",
                        started_at=start,
                        due=add_hours(start, 72, tz),
                        statutory=True,
                        basis="Without undue delay and, where feasible, not later than 72 hours "
                        "after becoming aware.",
                    )
                )
            if facts.high_risk_to_individuals:
                out.append(
                    Clock(
                        code=Code.GDPR_34,
                        framework="gdpr",
                        ref="Art. 34(1)",
                        title="Communicate the breach to the data subjects",
                        recipient="The affected data subjects",
                        started_at=start,
                        due=add_hours(start, WITHOUT_UNDUE_DELAY.total_seconds() / 3600, tz),
                        statutory=False,
                        basis="“Without undue delay” where the risk to individuals is high; "
                        "RiskHub target: 72 hours.",
                    )
                )

    if facts.personal_data_breach and facts.california_residents > 0:
        out += _california(facts, start, tz, why_not)
    elif facts.personal_data_breach:
        why_not.append("Cal. Civ. Code 1798.82: no California residents recorded as affected.")
    return out, why_not


def _day(value: date) -> str:
    return f"{value.day} {value:%b %Y}"


def _california(facts: Facts, start: datetime, tz: ZoneInfo, why_not: list[str]) -> list[Clock]:
    """Cal. Civ. Code 1798.82: (a) the owner or licensee notifies residents within 30 days
    (SB 446) and, above 500 residents, the Attorney General within 15 days of that (f);
    (b) a maintainer notifies the owner or licensee immediately following discovery."""
    if facts.ca_conducts_business is False:
        why_not.append(
            "Cal. Civ. Code 1798.82: the organisation profile records that the organisation "
            "does not conduct business in California."
        )
        return []
    role = facts.ca_breach_role
    out: list[Clock] = []
    if role in ("maintainer", "both"):
        out.append(
            Clock(
                code=Code.CA_OWNER,
                framework="ca-civ-code",
                ref="1798.82(b)",
                title="Notify the owner or licensee of the data",
                recipient="The owner or licensee of the personal information",
                started_at=start,
                due=add_hours(start, IMMEDIATELY.total_seconds() / 3600, tz),
                statutory=False,
                basis="“Immediately following discovery”; RiskHub target: 24 hours. The "
                "organisation maintains personal information it does not own; notifying the "
                "residents is the owner's duty.",
            )
        )
    if role == "maintainer":
        why_not.append(
            "Cal. Civ. Code 1798.82(a): the organisation profile records that the organisation "
            "only maintains the data for its owner, who notifies the residents."
        )
        return out
    if not role:
        why_not.append(
            "Cal. Civ. Code 1798.82(b): the organisation profile does not say whether the "
            "organisation maintains data it does not own; if the breached data is such data, "
            "the owner or licensee must be told immediately instead."
        )
    residents = Clock(
        code=Code.CA_RESIDENTS,
        framework="ca-civ-code",
        ref="1798.82(a)",
        title="Notify the affected California residents",
        recipient=f"{facts.california_residents} California residents",
        started_at=start,
        due=add_calendar_days(start, 30, tz),
        statutory=True,
        basis="Within 30 calendar days of discovery (as amended by SB 446, from 1 Jan 2026).",
    )
    out.append(residents)
    if facts.california_residents > CA_AG_THRESHOLD:
        out.append(
            Clock(
                code=Code.CA_ATTORNEY_GENERAL,
                framework="ca-civ-code",
                ref="1798.82(f)",
                title="Submit a sample notice to the Attorney General",
                recipient="California Attorney General",
                started_at=start,
                # Counted from the residents' notice; until it is sent, from its due day.
                due=add_calendar_days(residents.due, 15, tz),
                statutory=True,
                basis="Within 15 calendar days of notifying more than 500 residents.",
                depends_on=Code.CA_RESIDENTS,
            )
        )
    return out


def evaluate(
    facts: Facts, notifications: Iterable[Notification], now: datetime
) -> tuple[list[Clock], list[str]]:
    """The applicable clocks with their status at `now`."""
    found, why_not = applicable(facts)
    tz = zone_or_utc(facts.time_zone)
    first: dict[str, datetime] = {}
    for note in sorted(notifications, key=lambda n: n.at):
        first.setdefault(note.clock, note.at)
    by_code: Mapping[str, Clock] = {c.code: c for c in found}
    for clock in found:
        if clock.depends_on and clock.depends_on in first:
            # The AG's 15 days run from when the residents were actually notified.
            clock.started_at = first[clock.depends_on].astimezone(tz)
            clock.due = add_calendar_days(clock.started_at, 15, tz)
            clock.window = clock.due - clock.started_at
        elif clock.depends_on and clock.depends_on in by_code:
            clock.due = add_calendar_days(by_code[clock.depends_on].due, 15, tz)
            clock.window = clock.due - clock.started_at
        notified = first.get(clock.code)
        if notified is not None:
            clock.notified_at = notified.astimezone(tz)
            clock.status = Status.MET if notified <= clock.due else Status.MISSED
        elif now > clock.due:
            clock.status = Status.MISSED
        else:
            clock.status = Status.RUNNING
    order = {Status.MISSED: 0, Status.RUNNING: 1, Status.MET: 2}
    found.sort(key=lambda c: (c.status != Status.RUNNING, order[c.status], c.due))
    return found, why_not


def alert_thresholds(clock: Clock, now: datetime) -> list[str]:
    """Which alerts a running clock has earned by `now`: "50", "90", "missed"."""
    if clock.notified_at is not None:
        return []
    if now > clock.due:
        return ["50", "90", "missed"]
    fraction = clock.elapsed_fraction(now)
    return [name for name, at in (("50", 0.5), ("90", 0.9)) if fraction >= at]


def humanise(delta: timedelta) -> str:
    """ "2 days 3 hours left" / "5 hours overdue" style text for a time difference."""
    seconds = int(delta.total_seconds())
    overdue = seconds < 0
    seconds = abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours and days < 7:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if not days and minutes and hours < 6:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    text = " ".join(parts) or "less than a minute"
    return f"{text} overdue" if overdue else f"{text} left"
