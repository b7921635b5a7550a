"""Legal clocks that follow the catalog's application dates and Cal. Civ. Code 1798.82's
owner and maintainer roles (issue 15 items 2 and 4), as tables citing the provision."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from riskhub.compliance import applicability
from riskhub.compliance import catalog_loader as compliance_catalogs
from riskhub.compliance.catalog_loader import CATALOG_DIR, normalise_dates, read_yaml
from riskhub.incidents import clocks, services
from riskhub.incidents.clocks import Code, Facts
from riskhub.inventory.models import OrganisationProfile
from riskhub.risk import catalog_loader as risk_catalogs

BRUSSELS = ZoneInfo("Europe/Brussels")
AI_ACT = {str(i["ref"]): i for i in read_yaml(CATALOG_DIR / "eu-ai-act.yaml")["requirements"]}
# The dates come from the catalog, as the services pass them.
DATES = {
    ref: applicability.parse_dates(normalise_dates(AI_ACT[ref]["applies_from"], ref))
    for ref in ("Art. 73", "Art. 26")
}
ANNEX_III = date(2027, 12, 2)  # Art 113 as amended by Reg (EU) 2026/1744, (i)
ANNEX_I = date(2028, 8, 2)  # Art 113 as amended by Reg (EU) 2026/1744, (ii)


def system(*tokens: str) -> frozenset[str]:
    return frozenset({"ai_system", "tier:high", *tokens})


def at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 9, 30, tzinfo=BRUSSELS)


def one(facts: Facts, code: str) -> clocks.Clock:
    found, _ = clocks.applicable(facts)
    return next(c for c in found if c.code == code)


# (id, systems, aware, code, statutory, in force from, provision)
DATE_CASES = [
    ("annex-iii-provider-before-2-dec-2027", (system("role:provider", "annex_iii"),),
     at(2026, 12, 6), Code.AI_ACT_73, False, ANNEX_III, "Art 73; Art 113 (i)"),
    ("annex-iii-provider-after", (system("role:provider", "annex_iii"),),
     at(2027, 12, 2), Code.AI_ACT_73, True, None, "Art 73; Art 113 (i)"),
    ("annex-i-provider-between-the-two-dates", (system("role:provider", "annex_i"),),
     at(2028, 1, 10), Code.AI_ACT_73, False, ANNEX_I, "Art 73; Art 113 (ii)"),
    ("annex-i-provider-after", (system("role:provider", "annex_i"),),
     at(2028, 8, 3), Code.AI_ACT_73, True, None, "Art 73; Art 113 (ii)"),
    ("one-annex-iii-system-is-enough",
     (system("role:provider", "annex_i"), system("role:provider", "annex_iii")),
     at(2028, 1, 10), Code.AI_ACT_73, True, None, "Art 73; Art 113 (i)"),
    ("category-not-recorded-takes-the-earlier-date", (system("role:provider"),),
     at(2028, 1, 10), Code.AI_ACT_73, True, None, "conservative default"),
    ("category-not-recorded-before-any-date", (system("role:provider"),),
     at(2026, 12, 6), Code.AI_ACT_73, False, ANNEX_III, "conservative default"),
    ("annex-iii-deployer-before", (system("role:deployer", "annex_iii"),),
     at(2026, 12, 6), Code.AI_ACT_26_5, False, ANNEX_III, "Art 26(5); Art 113 (i)"),
    ("annex-i-deployer-after", (system("role:deployer", "annex_i"),),
     at(2028, 9, 1), Code.AI_ACT_26_5, False, None, "Art 26(5): 'immediately' is a target"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("systems", "aware", "code", "statutory", "in_force_from", "provision"),
    [pytest.param(*case[1:], id=case[0]) for case in DATE_CASES],
)
def test_ai_act_clocks_follow_the_catalogs_application_dates(
    systems: tuple[frozenset[str], ...],
    aware: datetime,
    code: str,
    statutory: bool,
    in_force_from: date | None,
    provision: str,
) -> None:
    facts = Facts(aware_at=aware, serious_incident="health", systems=systems, ai_act_dates=DATES)
    found = one(facts, code)
    assert found.statutory is statutory, provision
    assert found.in_force_from == in_force_from, provision
    if in_force_from:
        assert "Not yet in force" in found.basis
        assert f"{in_force_from.day} {in_force_from:%b %Y}" in found.basis
        assert found.as_dict()["in_force_from"] == in_force_from.isoformat()


def test_a_clock_not_yet_in_force_keeps_the_statutory_period_as_its_target() -> None:
    before = Facts(
        aware_at=at(2026, 12, 6),
        serious_incident="death",
        systems=(system("role:provider", "annex_iii"),),
        ai_act_dates=DATES,
    )
    found = one(before, Code.AI_ACT_73)
    assert found.due - found.started_at == timedelta(days=10)  # Art 73(4)


def test_without_catalog_dates_the_duty_is_taken_to_be_in_force() -> None:
    facts = Facts(
        aware_at=at(2026, 12, 6), serious_incident="health", systems=(system("role:provider"),)
    )
    assert one(facts, Code.AI_ACT_73).statutory


# --- Cal. Civ. Code 1798.82: owner (a) and maintainer (b) ---------------------------------

# (id, profile facts, residents, clocks expected, provision)
CA_CASES = [
    ("owner", {"ca_conducts_business": True, "ca_breach_role": "owner"}, 12,
     [Code.CA_RESIDENTS], "1798.82(a)"),
    ("owner-over-500", {"ca_conducts_business": True, "ca_breach_role": "owner"}, 501,
     [Code.CA_ATTORNEY_GENERAL, Code.CA_RESIDENTS], "1798.82(a), (f)"),
    ("maintainer", {"ca_conducts_business": True, "ca_breach_role": "maintainer"}, 12,
     [Code.CA_OWNER], "1798.82(b)"),
    ("maintainer-over-500-has-no-ag-notice",
     {"ca_conducts_business": True, "ca_breach_role": "maintainer"}, 501,
     [Code.CA_OWNER], "1798.82(b); (f) is the owner's"),
    ("both", {"ca_conducts_business": True, "ca_breach_role": "both"}, 12,
     [Code.CA_OWNER, Code.CA_RESIDENTS], "1798.82(a), (b)"),
    ("role-unanswered-keeps-the-residents-clock", {"ca_conducts_business": True}, 12,
     [Code.CA_RESIDENTS], "1798.82(a), conservative"),
    ("not-in-california", {"ca_conducts_business": False, "ca_breach_role": "owner"}, 12,
     [], "1798.82(a): conducts business in California"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("profile", "residents", "expected", "provision"),
    [pytest.param(*case[1:], id=case[0]) for case in CA_CASES],
)
def test_california_breach_clocks_follow_the_owner_or_maintainer_role(
    profile: dict[str, Any], residents: int, expected: list[str], provision: str
) -> None:
    facts = Facts(
        aware_at=at(2026, 6, 10),
        personal_data_breach=True,
        california_residents=residents,
        **profile,
    )
    found, _ = clocks.applicable(facts)
    assert sorted(c.code for c in found) == sorted(expected), provision


def test_the_maintainers_clock_is_a_24_hour_target_to_the_owner() -> None:
    facts = Facts(
        aware_at=at(2026, 6, 10),
        personal_data_breach=True,
        california_residents=3,
        ca_conducts_business=True,
        ca_breach_role="maintainer",
    )
    found = one(facts, Code.CA_OWNER)
    assert (found.ref, found.statutory) == ("1798.82(b)", False)
    assert found.due - found.started_at == timedelta(hours=24)
    assert "owner or licensee" in found.recipient
    _, why_not = clocks.applicable(facts)
    assert any("1798.82(a)" in reason and "owner" in reason for reason in why_not)


@pytest.mark.parametrize(
    ("profile", "fragment"),
    [
        ({"ca_conducts_business": True}, "1798.82(b)"),
        ({"ca_conducts_business": False}, "does not conduct business in California"),
    ],
)
def test_an_absent_or_uncertain_california_duty_is_explained(
    profile: dict[str, Any], fragment: str
) -> None:
    facts = Facts(
        aware_at=at(2026, 6, 10), personal_data_breach=True, california_residents=3, **profile
    )
    _, why_not = clocks.applicable(facts)
    assert any(fragment in reason for reason in why_not)


# --- through the services, with the catalog loaded ----------------------------------------


@pytest.fixture
def compliance_catalog(db: None) -> None:
    risk_catalogs.load(stdout=io.StringIO())  # the threats controls link to
    compliance_catalogs.load(stdout=io.StringIO())


def test_an_incident_reads_the_dates_and_the_profile(
    officer, make_asset, compliance_catalog, django_assert_max_num_queries, client_for
) -> None:  # type: ignore[no-untyped-def]
    services.organisation()  # the profile row exists from here on
    OrganisationProfile.objects.filter(pk=1).update(
        ca_conducts_business=True, ca_breach_role="maintainer"
    )
    product = make_asset(
        "system", facts=["ai_system", "tier:high", "role:provider", "annex_i"], tier="high"
    )
    incident = services.incident_create(
        actor=officer,
        title="Brake controller fault",
        aware_at=timezone.now(),
        assets=[product],
        serious_incident="health",
        personal_data_breach=True,
        california_residents=4,
    )
    # The category survives in the stored snapshot, so lists need no lineage walk.
    assert "annex_i" in incident.facts_snapshot["systems"][0]["facts"]
    org = services.organisation()
    found, _ = services.evaluate(incident, org, incident.timeline.all())
    by_code = {c.code: c for c in found}
    assert by_code[Code.AI_ACT_73].in_force_from == ANNEX_I
    assert not by_code[Code.AI_ACT_73].statutory
    assert Code.CA_OWNER in by_code and Code.CA_RESIDENTS not in by_code
    # The dates are read once per organisation object, not once per incident.
    with django_assert_max_num_queries(0):
        services.facts_for(incident, org)
    # The page says the duty is not yet law, and from when.
    from django.urls import reverse

    from riskhub.accounts.policy import Role

    page = client_for(Role.AUDITOR).get(reverse("incidents:detail", args=[incident.uuid]))
    assert "Not yet law: from 2 Aug 2028" in page.content.decode()


def test_a_maintainer_records_telling_the_owner_and_meets_the_clock(officer, make_asset) -> None:  # type: ignore[no-untyped-def]
    # Cal. Civ. Code 1798.82(b): the notice to the owner is recorded like any other.
    services.organisation()
    OrganisationProfile.objects.filter(pk=1).update(
        ca_conducts_business=True, ca_breach_role="maintainer"
    )
    incident = services.incident_create(
        actor=officer,
        title="Client database exposed",
        aware_at=timezone.now() - timedelta(hours=2),
        assets=[make_asset("dataset")],
        personal_data_breach=True,
        california_residents=40,
    )
    services.notification_record(
        actor=officer,
        incident=incident,
        clock=Code.CA_OWNER,
        recipient="Client Co. (owner of the data)",
        at=timezone.now(),
        reference="ticket 17",
    )
    found, _ = services.evaluate(incident, services.organisation(), incident.timeline.all())
    owner = next(c for c in found if c.code == Code.CA_OWNER)
    assert owner.status == clocks.Status.MET
