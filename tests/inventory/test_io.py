"""Import and export: CSV, JSON and XLSX, validation of every row, the commands."""

from __future__ import annotations

import csv
import io as stdio
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from riskhub.audit.models import AuditEvent
from riskhub.inventory import io, selectors, services
from riskhub.inventory.models import Asset, AssetLink

pytestmark = pytest.mark.django_db

HEADER = "kind,name,model_type,exposure,intended_purpose,trained_on,serves,part_of\n"


def _import(officer, text: str | bytes, name: str = "inventory.csv") -> io.ImportReport:  # type: ignore[no-untyped-def]
    data = text.encode() if isinstance(text, str) else text
    return io.import_file(actor=officer, name=name, data=data)


def _reasons(report: io.ImportReport) -> list[tuple[int, str, str]]:
    return [(e.line, e.column, e.reason) for e in report.errors]


def _export_csv() -> str:
    return "".join(io.export_csv(selectors.assets(selectors.AssetFilters(archived="all"))))


def _export_json() -> str:
    return "".join(io.export_json(selectors.assets(selectors.AssetFilters(archived="all"))))


def test_a_csv_creates_assets_and_their_lineage_by_name(officer) -> None:  # type: ignore[no-untyped-def]
    report = _import(
        officer,
        HEADER
        + "dataset,Claims history,,,,,,\n"
        + "model,Claims model,classifier,,,Claims history,,\n"
        + "endpoint,Claims API,,internal,,,Claims model,\n"
        + "system,Claims triage,,,Route insurance claims,,,Claims API\n",
    )
    assert report.ok, report.errors
    assert (report.created, report.links) == (4, 3)
    model = Asset.objects.get(name="Claims model")
    assert model.upstream_links.get().upstream.name == "Claims history"
    # one audit event per asset and per link, written under one lock
    assert AuditEvent.objects.filter(action="asset.create").count() == 4
    assert AuditEvent.objects.filter(action="asset_link.create").count() == 3
    assert model.history.count() == 1


def test_rows_with_a_uuid_update_that_asset(officer, make_asset) -> None:  # type: ignore[no-untyped-def]
    asset = make_asset("dataset", "Old name", vendor="Acme")
    report = _import(officer, f"id,kind,name,vendor\n{asset.uuid},dataset,New name,Acme\n")
    assert report.ok, report.errors
    assert (report.created, report.updated) == (0, 1)
    asset.refresh_from_db()
    assert asset.name == "New name" and asset.version == 2
    event = AuditEvent.objects.filter(action="asset.update").get()
    assert event.before == {"name": "Old name"} and event.after == {"name": "New name"}


def test_a_wrong_encoding_is_reported_and_nothing_is_imported(officer) -> None:  # type: ignore[no-untyped-def]
    data = "kind,name\ndataset,Données clients\n".encode("latin-1")
    report = _import(officer, data)
    assert not report.ok
    line, _, reason = _reasons(report)[0]
    assert line == 2 and "not UTF-8" in reason
    assert not Asset.objects.exists()


def test_a_missing_column_is_named(officer) -> None:  # type: ignore[no-untyped-def]
    report = _import(officer, "name,vendor\nSomething,Acme\n")
    assert _reasons(report) == [(1, "kind", "missing column (required)")]


def test_an_unknown_enum_value_names_the_line_column_and_allowed_values(officer) -> None:  # type: ignore[no-untyped-def]
    report = _import(officer, "kind,name,lifecycle\ndataset,A,design\ndataset,B,live\n")
    [(line, column, reason)] = _reasons(report)
    assert (line, column) == (3, "lifecycle")
    assert "unknown value “live”" in reason and "production" in reason
    assert not Asset.objects.exists()


def test_a_duplicate_name_in_the_file_or_the_register_is_refused(officer, make_asset) -> None:  # type: ignore[no-untyped-def]
    make_asset("dataset", "Existing")
    report = _import(officer, "kind,name\ndataset,Fresh\ndataset,fresh\ndataset,EXISTING\n")
    errors = _reasons(report)
    assert errors[0][:2] == (3, "name") and "line 2" in errors[0][2]
    assert errors[1][:2] == (4, "name") and "already registered" in errors[1][2]
    assert Asset.objects.count() == 1


def test_every_bad_row_is_reported_and_none_is_imported(officer) -> None:  # type: ignore[no-untyped-def]
    report = _import(
        officer,
        "kind,name,record_count,personal_data,model_type\n"
        "dataset,Good,10,yes,\n"
        "dataset,Bad count,many,no,\n"
        "dataset,Bad flag,1,perhaps,\n"
        "model,No type,,no,\n",
    )
    assert [(e[0], e[1]) for e in _reasons(report)] == [
        (3, "record_count"),
        (4, "personal_data"),
        (5, "model_type"),
    ]
    assert not Asset.objects.exists()


def test_an_oversized_file_is_refused_with_the_limit(officer, settings) -> None:  # type: ignore[no-untyped-def]
    settings.IMPORT_MAX_BYTES = 1024
    report = _import(officer, "kind,name\n" + "dataset,x\n" * 200)
    assert "the limit is" in report.errors[0].reason
    assert not Asset.objects.exists()


def test_a_lineage_cycle_in_the_file_is_refused(officer) -> None:  # type: ignore[no-untyped-def]
    report = _import(
        officer,
        "kind,name,depends_on\ndataset,A,B\ndataset,B,C\ndataset,C,A\n",
    )
    assert report.errors and all(e.column == "lineage" for e in report.errors)
    assert "cycle" in report.errors[0].reason
    assert not Asset.objects.exists()


def test_a_lineage_of_the_wrong_kind_is_refused(officer) -> None:  # type: ignore[no-untyped-def]
    report = _import(
        officer, "kind,name,model_type,trained_on\nmodel,M,classifier,\nmodel,N,other,M\n"
    )
    [(line, column, reason)] = _reasons(report)
    assert (line, column) == (3, "trained_on")
    assert "a model is trained on a dataset" in reason


def test_csv_round_trip_is_exact(officer, chain, make_asset) -> None:  # type: ignore[no-untyped-def]
    make_asset(
        "dataset",
        '=HYPERLINK("http://evil")',
        description='Line one\nline two, with comma; and "quotes"',
        tags=["pii", "eu"],
        record_count=12345,
    )
    make_asset("model", "Big model", training_flops=3.2e24, general_purpose=True)
    services.asset_archive(actor=officer, asset=make_asset("system", "Retired system"))
    first = _export_csv()
    assert "'=HYPERLINK" in first  # neutralised for spreadsheets
    report = _import(officer, first)
    assert report.ok, report.errors
    assert (report.created, report.updated, report.links) == (0, 0, 0)
    assert report.unchanged == Asset.objects.count()
    assert _export_csv() == first
    assert Asset.objects.filter(name='=HYPERLINK("http://evil")').exists()


def test_json_round_trip_is_exact_and_recreates_a_lost_register(officer, chain, make_asset) -> None:  # type: ignore[no-untyped-def]
    make_asset("endpoint", "Public API", url="https://api.example.com", rate_limited=True)
    first = _export_json()
    report = _import(officer, first, "inventory.json")
    assert report.ok and report.updated == 0
    assert _export_json() == first
    # into an empty register: the same assets with the same ids and links
    AssetLink.objects.all().delete()
    Asset.objects.all().delete()
    report = _import(officer, first, "inventory.json")
    assert report.ok, report.errors
    assert (report.created, report.links) == (5, 3)
    assert _export_json() == first


def test_csv_and_json_have_the_same_columns(chain) -> None:  # type: ignore[no-untyped-def]
    header = next(csv.reader(stdio.StringIO(_export_csv())))
    records = json.loads(_export_json())
    assert header == list(records[0]) == io.HEADER


def test_a_lineage_column_replaces_that_rows_links(officer, chain) -> None:  # type: ignore[no-untyped-def]
    model = chain["model"]
    other = services.asset_create(actor=officer, kind="dataset", name="Other data")
    report = _import(
        officer, f"id,kind,name,trained_on\n{model.uuid},model,Credit model,Other data\n"
    )
    assert report.ok, report.errors
    assert (report.links, report.links_removed) == (1, 1)
    assert [link.upstream for link in model.upstream_links.all()] == [other]


def test_the_xlsx_export_neutralises_formulas(officer, make_asset) -> None:  # type: ignore[no-untyped-def]
    make_asset("dataset", "@SUM(A1:A9)")
    data = io.export_xlsx(selectors.assets())
    sheet = load_workbook(stdio.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == io.HEADER
    assert rows[1][2] == "'@SUM(A1:A9)"


def test_the_commands_export_and_import(officer, admin_user, chain, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    call_command("export_inventory", "--format", "csv")
    exported = capsys.readouterr().out
    assert exported.splitlines()[0].startswith("id,kind,name")
    path = tmp_path / "inventory.csv"
    path.write_text(exported.replace("Credit model", "Credit model v2"), encoding="utf-8")
    call_command("import_inventory", str(path))
    assert "1 updated" in capsys.readouterr().out
    assert Asset.objects.filter(name="Credit model v2").exists()
    bad = tmp_path / "bad.csv"
    bad.write_text("kind,name\nrobot,R2\n", encoding="utf-8")
    with pytest.raises(CommandError, match="line 2, kind: unknown value"):
        call_command("import_inventory", str(bad))
    call_command("export_inventory", "--format", "json")
    assert len(json.loads(capsys.readouterr().out)) == 4


def test_a_systems_technical_documentation_survives_a_spreadsheet_round_trip(
    officer, make_asset
) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    system = make_asset(
        "system",
        "Documented system",
        intended_purpose="Route claims.",
        post_market_monitoring_plan="Monthly review;\nquarterly audit.",
        eu_declaration_reference="DoC-7",
        eu_declaration_date=dt.date(2026, 11, 2),
    )
    first = _export_csv()
    row = next(csv.DictReader(stdio.StringIO(first)))
    assert row["eu_declaration_date"] == "2026-11-02"
    assert row["post_market_monitoring_plan"] == "Monthly review;\nquarterly audit."
    Asset.objects.all().delete()
    report = _import(officer, first)
    assert report.ok, report.errors
    restored = Asset.objects.get(uuid=system.uuid)
    assert restored.eu_declaration_date == dt.date(2026, 11, 2)
    assert restored.eu_declaration_reference == "DoC-7"
    assert _export_csv() == first


def test_lineage_that_spans_chunks_is_written_chunk_by_chunk(officer, chain, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The links are written a chunk of rows at a time (bounded memory): a link to a row
    of another chunk, to an asset already registered, and a replaced link all come out
    right, each with its audit event."""
    from riskhub.inventory.io import importer

    monkeypatch.setattr(importer, "CHUNK_SIZE", 2)
    model = chain["model"]
    created_before = AuditEvent.objects.filter(action="asset_link.create").count()
    report = _import(
        officer,
        "id,kind,name,model_type,exposure,intended_purpose,trained_on,serves,part_of\n"
        + ",dataset,Chunked data A,,,,,,\n"
        + ",dataset,Chunked data B,,,,,,\n"
        + ",model,Chunked model,classifier,,,Chunked data A; Chunked data B,,\n"
        + ",endpoint,Chunked API,,internal,,,Chunked model,\n"
        + ",system,Chunked system,,,Route claims,,,Chunked API\n"
        + f"{model.uuid},model,Credit model,classifier,,,Chunked data B,,\n",
    )
    assert report.ok, report.errors
    assert (report.created, report.links, report.links_removed) == (5, 5, 1)
    made = Asset.objects.get(name="Chunked model")
    assert sorted(link.upstream.name for link in made.upstream_links.all()) == [
        "Chunked data A",
        "Chunked data B",
    ]
    assert [link.upstream.name for link in model.upstream_links.all()] == ["Chunked data B"]
    assert Asset.objects.get(name="Chunked system").upstream_links.get().upstream.name == (
        "Chunked API"
    )
    assert AuditEvent.objects.filter(action="asset_link.create").count() - created_before == 5
    assert AuditEvent.objects.filter(action="asset_link.delete").count() == 1
