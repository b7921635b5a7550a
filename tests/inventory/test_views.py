"""The inventory pages, for every role."""

from __future__ import annotations

import pytest
from django.urls import reverse

from riskhub.accounts.policy import Role
from riskhub.inventory import services
from riskhub.inventory.models import Asset, AssetLink

pytestmark = pytest.mark.django_db

EDITORS = [Role.RISK_OFFICER, Role.ADMIN]
READERS = [Role.EXECUTIVE, Role.AUDITOR]


def test_the_list_shows_assets_with_their_risk_band_and_kind(client_for, chain) -> None:  # type: ignore[no-untyped-def]
    response = client_for(Role.AUDITOR).get(reverse("inventory:list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Credit decisioning" in body and "Loan applications" in body
    assert "Not assessed" in body and "AI system" in body


def test_the_asset_page_renders_for_every_kind(client_for, chain) -> None:  # type: ignore[no-untyped-def]
    client = client_for(Role.EXECUTIVE)
    for asset in chain.values():
        response = client.get(reverse("inventory:detail", args=[asset.uuid]))
        assert response.status_code == 200, asset.kind
        body = response.content.decode()
        assert f'hx-get="/assessments/asset/{asset.uuid}/tab/"' in body
        assert f'hx-get="/compliance/asset/{asset.uuid}/tab/"' in body
        assert "<svg" in body


@pytest.mark.parametrize("role", EDITORS)
def test_editors_see_the_edit_actions(client_for, chain, role) -> None:  # type: ignore[no-untyped-def]
    client = client_for(role)
    body = client.get(reverse("inventory:detail", args=[chain["system"].uuid])).content.decode()
    assert "Answer the questionnaire" in body and ">Archive</button>" in body
    assert client.get(reverse("inventory:create") + "?kind=model").status_code == 200
    assert client.get(reverse("inventory:import")).status_code == 200


@pytest.mark.parametrize("role", READERS)
def test_readers_cannot_reach_any_write_page(client_for, chain, role) -> None:  # type: ignore[no-untyped-def]
    client = client_for(role)
    asset = chain["model"]
    body = client.get(reverse("inventory:detail", args=[asset.uuid])).content.decode()
    assert ">Archive</button>" not in body and "Add link" not in body
    for name, args in [
        ("inventory:create", []),
        ("inventory:edit", [asset.uuid]),
        ("inventory:classify", [asset.uuid]),
        ("inventory:import", []),
        ("inventory:organisation_edit", []),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 403, name
    response = client.post(reverse("inventory:archive", args=[asset.uuid]))
    assert response.status_code == 403
    asset.refresh_from_db()
    assert asset.archived_at is None


def test_anonymous_visitors_are_sent_to_sign_in(client_for, chain) -> None:  # type: ignore[no-untyped-def]
    response = client_for(None).get(reverse("inventory:detail", args=[chain["model"].uuid]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("kind", "own", "foreign"),
    [
        ("dataset", "id_record_count", "id_model_type"),
        ("model", "id_training_flops", "id_url"),
        ("endpoint", "id_exposure", "id_intended_purpose"),
        ("system", "id_intended_purpose", "id_personal_data"),
    ],
)
def test_the_form_shows_only_the_fields_of_its_kind(client_for, kind, own, foreign) -> None:  # type: ignore[no-untyped-def]
    body = client_for(Role.RISK_OFFICER).get(f"/inventory/new/?kind={kind}").content.decode()
    assert f'id="{own}"' in body and f'id="{foreign}"' not in body


def test_registering_a_model_saves_it_and_creates_the_business_unit(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for(Role.RISK_OFFICER)
    response = client.post(
        "/inventory/new/",
        {
            "kind": "model",
            "name": "Resume ranker",
            "lifecycle": "development",
            "source": "in-house",
            "business_unit": "People",
            "tags": "hr, ranking",
            "model_type": "ranking",
            "training_flops": "3.2e21",
        },
    )
    asset = Asset.objects.get(name="Resume ranker")
    assert response.status_code == 302 and response["Location"].endswith(f"{asset.uuid}/")
    assert asset.business_unit.name == "People" and asset.tags == ["hr", "ranking"]
    assert asset.training_flops == 3.2e21


def test_errors_are_shown_beside_their_fields_and_input_is_kept(client_for, make_asset) -> None:  # type: ignore[no-untyped-def]
    make_asset("system", "Taken name")
    response = client_for(Role.RISK_OFFICER).post(
        "/inventory/new/",
        {"kind": "system", "name": "taken NAME", "lifecycle": "design", "source": "in-house",
         "description": "kept text", "intended_purpose": "x"},
    )  # fmt: skip
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="id_name_error"' in body and "already called" in body
    assert 'aria-invalid="true"' in body and "kept text" in body


def test_an_edit_conflict_keeps_the_users_input_and_says_what_changed(
    client_for, officer, make_asset
) -> None:  # type: ignore[no-untyped-def]
    asset = make_asset("dataset", "Claims", vendor="Original")
    client = client_for(Role.RISK_OFFICER)
    form = {"name": "Claims", "lifecycle": "design", "source": "in-house", "version": "1"}
    # someone else saves first
    services.asset_update(actor=officer, asset=asset, expected_version=1, vendor="Theirs")
    response = client.post(
        reverse("inventory:edit", args=[asset.uuid]),
        {**form, "vendor": "Mine", "description": "my long description"},
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone else saved this asset" in body
    assert "Theirs" in body and 'value="Mine"' in body and "my long description" in body
    assert 'name="version" value="2"' in body
    asset.refresh_from_db()
    assert asset.vendor == "Theirs"
    # saving again is a deliberate overwrite
    response = client.post(
        reverse("inventory:edit", args=[asset.uuid]), {**form, "vendor": "Mine", "version": "2"}
    )
    assert response.status_code == 302
    asset.refresh_from_db()
    assert asset.vendor == "Mine" and asset.version == 3


def test_archive_and_restore(client_for, make_asset) -> None:  # type: ignore[no-untyped-def]
    asset = make_asset("dataset", "Old data")
    client = client_for(Role.RISK_OFFICER)
    detail = client.get(reverse("inventory:detail", args=[asset.uuid])).content.decode()
    assert 'data-confirm="Archive' in detail
    client.post(reverse("inventory:archive", args=[asset.uuid]))
    asset.refresh_from_db()
    assert asset.archived_at is not None
    assert not client.get("/inventory/").context["page"].object_list
    assert [a.name for a in client.get("/inventory/?archived=archived").context["page"]] == [
        "Old data"
    ]
    client.post(reverse("inventory:archive", args=[asset.uuid]), {"action": "restore"})
    asset.refresh_from_db()
    assert asset.archived_at is None


def test_a_script_in_a_name_is_shown_as_text(client_for, make_asset, link) -> None:  # type: ignore[no-untyped-def]
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    asset = make_asset("dataset", payload, description=payload, tags=[payload[:40]])
    model = make_asset("model", "M")
    link(asset, model, "trained_on")
    client = client_for(Role.AUDITOR)
    for url in ("/inventory/", reverse("inventory:detail", args=[asset.uuid]),
                reverse("inventory:detail", args=[model.uuid])):  # fmt: skip
        body = client.get(url).content.decode()
        assert "<script>alert" not in body and "<img src=x" not in body, url
        assert "&lt;script&gt;alert" in body, url


def test_the_list_query_count_does_not_grow_with_the_data(
    client_for, officer, make_asset, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(Role.EXECUTIVE)
    unit = services.business_unit_get_or_create(actor=officer, name="Ops")
    make_asset("system", owner=officer, business_unit=unit)
    with django_assert_max_num_queries(12) as empty:
        assert client.get("/inventory/").status_code == 200
    for i in range(60):
        make_asset(["dataset", "model", "endpoint", "system"][i % 4], owner=officer,
                   business_unit=unit, tags=["t"])  # fmt: skip
    with django_assert_max_num_queries(len(empty.captured_queries)) as full:
        assert client.get("/inventory/?sort=-risk&kind=&owner=").status_code == 200
    assert len(full.captured_queries) == len(empty.captured_queries)


def test_search_filters_and_sorting(client_for, chain, make_asset) -> None:  # type: ignore[no-untyped-def]
    make_asset("dataset", "Vendor data", vendor="Acme Analytics", tags=["marketing"])
    client = client_for(Role.AUDITOR)

    def names(query: str) -> list[str]:
        page = client.get("/inventory/?" + query).context["page"]
        return [a.name for a in page.object_list]

    assert names("q=acme") == ["Vendor data"]
    assert names("q=MARKETING") == ["Vendor data"]
    assert names("kind=model") == ["Credit model"]
    assert names("sort=-name")[0] == "Vendor data"
    assert names("sort=kind")[0] in ("Loan applications", "Vendor data")


def test_the_csv_export_follows_the_filters(client_for, chain) -> None:  # type: ignore[no-untyped-def]
    response = client_for(Role.AUDITOR).get("/inventory/export/csv/?kind=system")
    text = b"".join(response.streaming_content).decode()
    lines = text.strip().splitlines()
    assert lines[0].startswith("id,kind,name") and len(lines) == 2
    assert "Credit decisioning" in lines[1]


def test_adding_a_link_with_the_wrong_kind_explains_why(client_for, chain) -> None:  # type: ignore[no-untyped-def]
    client = client_for(Role.RISK_OFFICER)
    model = chain["model"]
    response = client.post(
        reverse("inventory:link_add", args=[model.uuid]),
        {
            "relation": "trained_on",
            "direction": "upstream",
            "other": "Credit decisioning [AI system]",
        },
    )
    assert response.status_code == 400
    assert "a model is trained on a dataset" in response.content.decode()
    response = client.post(
        reverse("inventory:link_add", args=[chain["dataset"].uuid]),
        {
            "relation": "depends_on",
            "direction": "upstream",
            "other": "Credit decisioning [AI system]",
        },
    )
    assert "would create a cycle" in response.content.decode()
    response = client.post(
        reverse("inventory:link_add", args=[model.uuid]),
        {"relation": "trained_on", "direction": "upstream", "other": "nothing like it"},
    )
    assert "Choose an asset from the suggestions" in response.content.decode()


def test_adding_and_removing_a_link(client_for, make_asset) -> None:  # type: ignore[no-untyped-def]
    dataset = make_asset("dataset", "Tickets")
    model = make_asset("model", "Bot")
    client = client_for(Role.RISK_OFFICER)
    response = client.post(
        reverse("inventory:link_add", args=[model.uuid]),
        {"relation": "trained_on", "direction": "upstream", "other": "Tickets [Dataset]"},
    )
    assert response.status_code == 302
    link = AssetLink.objects.get(upstream=dataset, downstream=model)
    client.post(reverse("inventory:link_delete", args=[model.uuid, link.uuid]))
    assert not AssetLink.objects.exists()


def test_the_questionnaire_sets_the_tier_and_datasets_show_the_systems_they_feed(
    client_for, chain
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(Role.RISK_OFFICER)
    system = chain["system"]
    page = client.get(reverse("inventory:classify", args=[system.uuid])).content.decode()
    assert "5(b)" in page and "Art. 5(1)(ba)" in page
    response = client.post(
        reverse("inventory:classify", args=[system.uuid]),
        {"is_ai_system": "yes", "annex_iii_points": ["5(b)"], "performs_profiling": "on",
         "role": ["deployer"], "gdpr_personal_data": "on", "gdpr_automated_decisions": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    system.refresh_from_db()
    assert system.tier == "high" and system.gdpr_applies
    body = client.get(reverse("inventory:detail", args=[system.uuid])).content.decode()
    assert "High-risk" in body and "Annex III point 5(b)" in body
    assert "DPIA likely required (Art. 35)" in body and "dpia_required" not in body
    dataset_page = client.get(reverse("inventory:detail", args=[chain["dataset"].uuid]))
    assert dataset_page.context["systems_fed"] == [system]
    assert "Credit decisioning" in dataset_page.content.decode()


def test_the_effective_risk_path_is_shown_as_asset_names(client_for, chain) -> None:  # type: ignore[no-untyped-def]
    system = chain["system"]
    Asset.objects.filter(pk=system.pk).update(
        effective_risk_band="critical",
        effective_risk_source="inherited",
        effective_risk_path=[
            str(chain["dataset"].uuid),
            str(chain["model"].uuid),
            str(system.uuid),
        ],
    )
    body = (
        client_for(Role.AUDITOR)
        .get(reverse("inventory:detail", args=[system.uuid]))
        .content.decode()
    )
    assert "rh-band rh-band-critical" in body and "inherited from upstream" in body
    assert body.index("Loan applications</a></li>") < body.index("Credit model</a></li>")


def test_the_organisation_profile_derives_the_ccpa_status(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for(Role.AUDITOR).get("/inventory/organisation/").content.decode()
    assert 'data-testid="ccpa-business">No' in page
    admin = client_for(Role.ADMIN)
    response = admin.post(
        "/inventory/organisation/edit/",
        {"legal_name": "Acme SE", "eu_established": "on", "gdpr_role": "controller",
         "time_zone": "Europe/Paris", "ccpa_annual_revenue_usd": "30000000",
         "ccpa_consumers_sold_shared": "0", "ccpa_revenue_share_selling_pct": "0",
         "ccpa_consumers_pi_processed": "300000", "ccpa_consumers_spi_processed": "0"},
    )  # fmt: skip
    assert response.status_code == 302
    page = admin.get("/inventory/organisation/").content.decode()
    assert "Acme SE" in page and 'data-testid="ccpa-business">Yes' in page
    assert 'data-testid="ccpa-audit">Required' in page
    assert client_for(Role.RISK_OFFICER).get("/inventory/organisation/edit/").status_code == 403


def test_the_upload_page_lists_every_problem(client_for) -> None:  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("inv.csv", b"kind,name\nrobot,A\ndataset,\n", "text/csv")
    response = client_for(Role.RISK_OFFICER).post("/inventory/import/", {"file": upload})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Nothing was imported: 2 problems" in body
    assert "unknown value “robot”" in body and "is required" in body
    assert not Asset.objects.exists()
    good = SimpleUploadedFile("inv.csv", b"kind,name\ndataset,A\n", "text/csv")
    response = client_for(Role.RISK_OFFICER).post("/inventory/import/", {"file": good})
    assert response.status_code == 302 and Asset.objects.filter(name="A").exists()


def test_the_asset_page_query_count_does_not_grow_with_its_lineage(
    client_for, make_asset, link, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(Role.AUDITOR)
    model = make_asset("model", "Hub model")
    link(make_asset("dataset"), model, "trained_on")
    link(model, make_asset("endpoint"), "serves")
    url = reverse("inventory:detail", args=[model.uuid])
    with django_assert_max_num_queries(40) as small:
        client.get(url)
    for _ in range(25):
        link(make_asset("dataset"), model, "trained_on")
        link(model, make_asset("endpoint"), "serves")
    with django_assert_max_num_queries(len(small.captured_queries)):
        body = client.get(url).content.decode()
    assert body.count('class="rh-graph-node') == 53


def test_link_suggestions_are_escaped_and_exclude_the_asset(client_for, make_asset) -> None:  # type: ignore[no-untyped-def]
    me = make_asset("model", "Model <b>x</b>")
    make_asset("dataset", 'Data "<i>"')
    response = client_for(Role.RISK_OFFICER).get(
        reverse("inventory:asset_options"), {"other": "<", "asset": str(me.uuid)}
    )
    body = response.content.decode()
    assert "&lt;i&gt;" in body and "<i>" not in body and "Model" not in body


def test_the_profile_records_the_california_and_public_authority_facts(client_for) -> None:  # type: ignore[no-untyped-def]
    # Issue 15 items 1, 2 and 6: new profile facts, unanswered until the admin answers.
    from riskhub.audit.models import AuditEvent

    page = client_for(Role.AUDITOR).get("/inventory/organisation/").content.decode()
    assert 'data-testid="ca-business">Not answered' in page
    assert 'data-testid="public-authority">' in page
    admin = client_for(Role.ADMIN)
    response = admin.post(
        "/inventory/organisation/edit/",
        {"legal_name": "Acme Inc", "gdpr_role": "controller", "time_zone": "America/Los_Angeles",
         "public_authority": "false", "ca_conducts_business": "true",
         "ca_breach_role": "maintainer", "ccpa_annual_revenue_usd": "0",
         "ccpa_consumers_sold_shared": "0", "ccpa_revenue_share_selling_pct": "0",
         "ccpa_consumers_pi_processed": "0", "ccpa_consumers_spi_processed": "0"},
    )  # fmt: skip
    assert response.status_code == 302
    page = admin.get("/inventory/organisation/").content.decode()
    assert 'data-testid="ca-business">Yes' in page
    assert 'data-testid="public-authority">No' in page
    assert "Maintains personal information it does not own" in page
    event = AuditEvent.objects.filter(action="organisation.update").latest("pk")
    assert event.after["ca_breach_role"] == "maintainer"
    assert event.after["ca_conducts_business"] is True


def test_the_questionnaire_asks_where_emotions_are_recognised(client_for, chain) -> None:  # type: ignore[no-untyped-def]
    # Issue 15 item 3: Annex III 1(c) in the workplace is Art 5(1)(f), prohibited.
    client = client_for(Role.RISK_OFFICER)
    system = chain["system"]
    url = reverse("inventory:classify", args=[system.uuid])
    page = client.get(url).content.decode()
    assert "id_emotion_recognition_setting" in page and "religious or philosophical" in page
    response = client.post(
        url,
        {"is_ai_system": "yes", "annex_iii_points": ["1(c)"], "role": ["deployer"],
         "transparency_triggers": ["50(3)"], "emotion_recognition_setting": "workplace"},
    )  # fmt: skip
    assert response.status_code == 302
    system.refresh_from_db()
    assert system.tier == "prohibited" and "prohibited:5(1)(f)" in system.facts
    again = client.get(url).content.decode()
    assert 'value="workplace" selected' in again


def test_the_questionnaire_prefills_what_the_registration_says_and_says_so(
    client_for, chain
) -> None:  # type: ignore[no-untyped-def]
    system = chain["system"]
    Asset.objects.filter(pk=system.pk).update(california_consumers=True, personal_data=True)
    client = client_for(Role.RISK_OFFICER)
    url = reverse("inventory:classify", args=[system.uuid])
    response = client.get(url)
    form = response.context["form"]
    assert form["ccpa_california_consumers"].value() is True
    assert form["gdpr_personal_data"].value() is True
    assert not form["gdpr_children"].value()  # not registered: left for the user
    page = response.content.decode()
    assert page.count("From the asset&#x27;s registration") == 2
    assert "From the asset&#x27;s registration: “Affects California consumers”." in page
    box = page.split('name="ccpa_california_consumers"')[1].split(">")[0]
    assert "checked" in box
    # an earlier answer that left it unticked does not win over the registered fact
    assert client.post(url, {"is_ai_system": "yes", "role": ["deployer"]}).status_code == 302
    form = client.get(url).context["form"]
    assert form["ccpa_california_consumers"].value() is True


def test_a_model_questionnaire_takes_its_registered_compute(client_for, chain) -> None:  # type: ignore[no-untyped-def]
    model = chain["model"]
    Asset.objects.filter(pk=model.pk).update(general_purpose=True, training_flops=3e25)
    response = client_for(Role.RISK_OFFICER).get(reverse("inventory:classify", args=[model.uuid]))
    form = response.context["form"]
    assert form["is_ai_system"].value() == "no" and form["general_purpose"].value() is True
    assert form["training_flops"].value() == 3e25
    assert response.content.decode().count("From the asset&#x27;s registration") == 2
