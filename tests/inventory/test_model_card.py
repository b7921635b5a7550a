"""Model cards on models: one shape, metrics measured on a linked dataset, shown on the
asset page, edited in the browser and the API, audited, and read by the dossier."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from riskhub.accounts.policy import Role
from riskhub.audit.models import AuditEvent
from riskhub.inventory import services
from riskhub.inventory.models import Asset
from riskhub.reports.selectors import Scope, load_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def model(make_asset, link):  # type: ignore[no-untyped-def]
    holdout = make_asset("dataset", "Holdout 2024")
    model = make_asset("model", "Credit model")
    link(holdout, model, "depends_on")
    make_asset("dataset", "Unrelated data")
    return Asset.objects.get(pk=model.pk)


def _save(officer, model, card):  # type: ignore[no-untyped-def]
    return services.asset_update(
        actor=officer, asset=model, expected_version=model.version, model_card=card
    )


def test_a_card_is_stored_in_its_normal_form_and_audited(officer, model) -> None:  # type: ignore[no-untyped-def]
    holdout = Asset.objects.get(name="Holdout 2024")
    saved = _save(
        officer,
        model,
        {
            "metrics": [
                {"type": " AUC ", "value": "0.91", "slice": "", "dataset": str(holdout.uuid)},
                {"type": "", "value": ""},
            ],
            "use_cases": ["pre-screening", "  "],
            "limitations": [],
        },
    )
    assert saved.model_card == {
        "metrics": [{"type": "AUC", "value": "0.91", "dataset": str(holdout.uuid)}],
        "use_cases": ["pre-screening"],
    }
    event = AuditEvent.objects.filter(action="asset.update", object_id=str(model.uuid)).last()
    assert event is not None
    assert event.after["model_card"]["use_cases"] == ["pre-screening"]


def test_a_metric_cannot_name_a_dataset_the_model_is_not_linked_to(officer, model) -> None:  # type: ignore[no-untyped-def]
    other = Asset.objects.get(name="Unrelated data")
    card = {"metrics": [{"type": "AUC", "value": "0.9", "dataset": str(other.uuid)}]}
    with pytest.raises(ValidationError) as caught:
        _save(officer, model, card)
    assert "not linked to this model" in str(caught.value)
    assert Asset.objects.get(pk=model.pk).model_card == {}


@pytest.mark.parametrize(
    ("card", "problem"),
    [
        ({"metrics": [{"type": "AUC"}]}, "needs a type and a value"),
        ({"approach": "guessing"}, "approach"),
        ({"colour": "blue"}, "unknown field"),
        ({"users": "everyone"}, "expected a list"),
    ],
)
def test_a_card_of_the_wrong_shape_is_refused(officer, model, card, problem) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as caught:
        _save(officer, model, card)
    assert problem in str(caught.value)


def test_only_a_model_has_a_model_card(officer, make_asset) -> None:  # type: ignore[no-untyped-def]
    dataset = make_asset("dataset", "Tickets")
    with pytest.raises(ValidationError) as caught:
        services.asset_update(
            actor=officer,
            asset=dataset,
            expected_version=dataset.version,
            model_card={"users": ["x"]},
        )
    assert "Only a model" in str(caught.value)


def test_the_asset_page_shows_the_card_with_the_dataset_a_metric_was_measured_on(  # type: ignore[no-untyped-def]
    officer, model, client_for
) -> None:
    holdout = Asset.objects.get(name="Holdout 2024")
    _save(
        officer,
        model,
        {
            "metrics": [
                {
                    "type": "AUC",
                    "value": "0.91",
                    "slice": "age < 25",
                    "dataset": str(holdout.uuid),
                }
            ],
            "ethical": [{"name": "proxy discrimination", "mitigation": "feature review"}],
            "fairness": [{"group_at_risk": "young applicants", "harms": "more refusals"}],
            "environmental": "120 kWh, wind",
            "users": ["credit officers"],
        },
    )
    body = client_for(Role.AUDITOR).get(reverse("inventory:detail", args=[model.uuid]))
    text = body.content.decode()
    assert "Model card" in text
    assert "age &lt; 25" in text and f'href="/inventory/{holdout.uuid}/">Holdout 2024' in text
    assert "proxy discrimination" in text and "feature review" in text
    assert "young applicants" in text and "120 kWh, wind" in text
    assert "Edit the model card" not in text  # an auditor reads, never edits


def test_an_officer_edits_the_card_in_the_browser(officer, model, client) -> None:  # type: ignore[no-untyped-def]
    holdout = Asset.objects.get(name="Holdout 2024")
    client.force_login(officer)
    url = reverse("inventory:model_card_edit", args=[model.uuid])
    page = client.get(url).content.decode()
    assert "Holdout 2024" in page and "Unrelated data" not in page  # linked datasets only
    data = {
        "version": model.version,
        "approach": "supervised",
        "use_cases": "pre-screening\nlimit setting\n",
        "limitations": "not for business loans",
        "environmental": "120 kWh",
        "metrics-TOTAL_FORMS": "2",
        "metrics-INITIAL_FORMS": "0",
        "metrics-0-type": "AUC",
        "metrics-0-value": "0.91",
        "metrics-0-slice": "age < 25",
        "metrics-0-dataset": str(holdout.uuid),
        "ethical-TOTAL_FORMS": "1",
        "ethical-INITIAL_FORMS": "0",
        "ethical-0-name": "proxy discrimination",
        "ethical-0-mitigation": "feature review",
        "fairness-TOTAL_FORMS": "1",
        "fairness-INITIAL_FORMS": "0",
        "fairness-0-group_at_risk": "young applicants",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    card = Asset.objects.get(pk=model.pk).model_card
    assert card == {
        "approach": "supervised",
        "metrics": [
            {
                "type": "AUC",
                "value": "0.91",
                "slice": "age < 25",
                "dataset": str(holdout.uuid),
            }
        ],
        "use_cases": ["pre-screening", "limit setting"],
        "limitations": ["not for business loans"],
        "ethical": [{"name": "proxy discrimination", "mitigation": "feature review"}],
        "fairness": [{"group_at_risk": "young applicants"}],
        "environmental": "120 kWh",
    }


def test_a_metric_without_a_value_is_shown_next_to_its_row(officer, model, client) -> None:  # type: ignore[no-untyped-def]
    client.force_login(officer)
    url = reverse("inventory:model_card_edit", args=[model.uuid])
    response = client.post(
        url,
        {
            "version": model.version,
            "metrics-TOTAL_FORMS": "1",
            "metrics-INITIAL_FORMS": "0",
            "metrics-0-type": "AUC",
            "ethical-TOTAL_FORMS": "0",
            "ethical-INITIAL_FORMS": "0",
            "fairness-TOTAL_FORMS": "0",
            "fairness-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "Give the metric&#x27;s value." in text
    # The message is tied to its field for screen readers.
    assert 'aria-describedby="id_metrics-0-value_error"' in text
    assert 'id="id_metrics-0-value_error"' in text
    assert Asset.objects.get(pk=model.pk).model_card == {}


def test_a_card_saved_from_a_stale_page_is_refused_with_a_conflict(officer, model, client) -> None:  # type: ignore[no-untyped-def]
    """Someone saved the model after the page was opened: the officer is told so, and
    neither card is overwritten (this was a server error before)."""
    stale_version = model.version
    _save(officer, model, {"approach": "supervised"})
    client.force_login(officer)
    url = reverse("inventory:model_card_edit", args=[model.uuid])
    response = client.post(
        url,
        {
            "version": stale_version,
            "approach": "unsupervised",
            "metrics-TOTAL_FORMS": "0",
            "metrics-INITIAL_FORMS": "0",
            "ethical-TOTAL_FORMS": "0",
            "ethical-INITIAL_FORMS": "0",
            "fairness-TOTAL_FORMS": "0",
            "fairness-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 409
    text = response.content.decode()
    current = Asset.objects.get(pk=model.pk)
    assert f"Someone else saved this model (now version {current.version})" in text
    assert current.model_card == {"approach": "supervised"}


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.AUDITOR])
def test_readers_cannot_edit_the_card(client_for, model, role) -> None:  # type: ignore[no-untyped-def]
    url = reverse("inventory:model_card_edit", args=[model.uuid])
    assert client_for(role).get(url).status_code == 403


def test_a_dataset_has_no_model_card_page(client_for, model) -> None:  # type: ignore[no-untyped-def]
    holdout = Asset.objects.get(name="Holdout 2024")
    url = reverse("inventory:model_card_edit", args=[holdout.uuid])
    assert client_for(Role.RISK_OFFICER).get(url).status_code == 404


def test_the_api_reads_and_writes_the_card(make_user, model) -> None:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(make_user(Role.RISK_OFFICER))
    url = f"/api/v1/assets/{model.uuid}/"
    card = {"users": ["credit officers"], "metrics": [{"type": "F1", "value": "0.8"}]}
    response = client.patch(url, {"version": model.version, "model_card": card}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["model_card"] == card
    assert client.get(url).json()["model_card"] == card

    bad = client.patch(
        url,
        {"version": model.version + 1, "model_card": {"metrics": [{"type": "F1"}]}},
        format="json",
    )
    assert bad.status_code == 400
    assert "needs a type and a value" in str(bad.json())
    assert Asset.objects.get(pk=model.pk).model_card == card


def test_the_dossier_data_carries_the_card_as_it_stood(officer, model) -> None:  # type: ignore[no-untyped-def]
    _save(officer, model, {"use_cases": ["pre-screening"]})
    before_change = timezone.now()
    model = Asset.objects.get(pk=model.pk)
    _save(officer, model, {"use_cases": ["limit setting"]})
    assert load_state(Scope(), None).assets[model.pk]["model_card"] == {
        "use_cases": ["limit setting"]
    }
    past = load_state(Scope(), before_change).assets[model.pk]["model_card"]
    assert past == {"use_cases": ["pre-screening"]}
