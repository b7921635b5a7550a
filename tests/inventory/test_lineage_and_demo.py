"""Lineage validation messages, and the demo inventory."""

from __future__ import annotations

import io as stdio

import pytest
from django.core.exceptions import ValidationError

from riskhub.accounts.policy import Role
from riskhub.inventory import demo, services
from riskhub.inventory.models import ANNEX_IV_FIELDS, Asset, AssetLink, Classification

pytestmark = pytest.mark.django_db


def _message(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(m for ms in exc.value.message_dict.values() for m in ms)


def test_an_asset_cannot_be_linked_to_itself(officer, make_asset) -> None:  # type: ignore[no-untyped-def]
    model = make_asset("model")
    with pytest.raises(ValidationError) as exc:
        services.link_create(actor=officer, upstream=model, downstream=model, relation="depends_on")
    assert "cannot be linked to itself" in _message(exc)


def test_a_link_that_closes_a_cycle_names_both_assets(officer, chain) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as exc:
        services.link_create(
            actor=officer,
            upstream=chain["system"],
            downstream=chain["dataset"],
            relation="depends_on",
        )
    assert "would create a cycle" in _message(exc) and "Credit decisioning" in _message(exc)


@pytest.mark.parametrize(
    ("up", "down", "relation", "hint"),
    [
        ("model", "model", "trained_on", "a model is trained on a dataset"),
        ("dataset", "endpoint", "serves", "an endpoint serves a model"),
        ("dataset", "model", "fine_tuned_from", "fine-tuned from another model"),
        ("model", "dataset", "part_of", "part of an AI system"),
    ],
)
def test_links_must_join_kinds_that_fit(officer, make_asset, up, down, relation, hint) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as exc:
        services.link_create(
            actor=officer, upstream=make_asset(up), downstream=make_asset(down), relation=relation
        )
    assert hint in _message(exc)


def _users(make_user) -> dict[Role, object]:  # type: ignore[no-untyped-def]
    return {role: make_user(role) for role in Role}


def test_the_demo_inventory_is_realistic_and_idempotent(make_user) -> None:  # type: ignore[no-untyped-def]
    users = _users(make_user)
    out = stdio.StringIO()
    demo.seed(users=users, assets=None, seed=1, stdout=out)
    credit = Asset.objects.get(kind="system", name="Credit scoring")
    assert credit.tier == "high"
    assert Asset.objects.get(name="Customer support chatbot").tier == "limited"
    assert Asset.objects.get(name="Vendor LLM (hosted)").tier == "gpai-systemic"
    assert AssetLink.objects.count() == len(demo.LINKS)
    count = Asset.objects.count()
    demo.seed(users=users, assets=None, seed=1, stdout=out)
    assert Asset.objects.count() == count
    assert "already present" in out.getvalue()


def test_the_demo_documents_some_systems_for_their_annex_iv_dossier(make_user) -> None:  # type: ignore[no-untyped-def]
    demo.seed(users=_users(make_user), assets=None, seed=1, stdout=stdio.StringIO())
    credit = Asset.objects.get(kind="system", name="Credit scoring")
    assert all(getattr(credit, name) for name in ANNEX_IV_FIELDS)
    assert credit.model_version == "4.2"
    fraud = Asset.objects.get(kind="system", name="Fraud detection")
    assert fraud.post_market_monitoring_plan and not fraud.eu_declaration_reference
    chatbot = Asset.objects.get(kind="system", name="Customer support chatbot")
    assert not any(getattr(chatbot, name) for name in ANNEX_IV_FIELDS)
    model = Asset.objects.get(name="Credit risk gradient boosting v4")
    loans = Asset.objects.get(name="Loan applications 2019-2025")
    assert {m["dataset"] for m in model.model_card["metrics"]} == {str(loans.uuid)}
    assert model.model_card["limitations"]


def test_the_demo_scales_deterministically_with_lineage_chains(make_user) -> None:  # type: ignore[no-untyped-def]
    users = _users(make_user)
    demo.seed(users=users, assets=200, seed=7, stdout=stdio.StringIO())
    assert Asset.objects.count() == 200
    names = list(Asset.objects.order_by("pk").values_list("name", flat=True))
    systems = Asset.objects.filter(kind="system", name__contains=" system ")
    assert systems.exclude(tier="").count() == systems.count() > 0
    assert Classification.objects.filter(asset__in=systems).count() == systems.count()
    assert AssetLink.objects.filter(relation="part_of").count() >= systems.count() - 1
    # the same seed gives the same names
    AssetLink.objects.all().delete()
    Classification.objects.all().delete()
    Asset.objects.filter(name__in=names[len(demo.NAMED) :]).delete()
    demo.scale(actor=users[Role.RISK_OFFICER], total=200, seed=7)
    again = list(Asset.objects.order_by("pk").values_list("name", flat=True))
    assert [n.rsplit(" ", 1)[0] for n in again] == [n.rsplit(" ", 1)[0] for n in names]
