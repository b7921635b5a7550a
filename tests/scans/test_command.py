"""manage.py import_scan: the same service, the same all-or-nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from riskhub.accounts.models import User
from riskhub.inventory.models import Asset
from riskhub.scans.models import ScanRun
from tests.scans.conftest import GARAK_HITLOG, PROMPTFOO_RESULTS

pytestmark = pytest.mark.usefixtures("catalogs")


def test_it_imports_by_asset_name_and_prints_json(
    officer: User, make_asset: Callable[..., Asset]
) -> None:
    asset = make_asset(name="Support bot endpoint")
    out = StringIO()
    call_command(
        "import_scan",
        asset.name,
        str(PROMPTFOO_RESULTS),
        "--as",
        officer.email,
        "--json",
        stdout=out,
    )
    summary = json.loads(out.getvalue())
    run = ScanRun.objects.get()
    assert summary["id"] == str(run.uuid) and summary["asset"] == str(asset.uuid)
    assert summary["findings"] == 7 and summary["failures"] == 7


def test_it_refuses_readers_and_bad_files(
    officer: User, auditor: User, make_asset: Callable[..., Asset]
) -> None:
    asset = make_asset()
    with pytest.raises(CommandError, match="may not import"):
        call_command("import_scan", str(asset.uuid), str(PROMPTFOO_RESULTS), "--as", auditor.email)
    with pytest.raises(CommandError, match="hit log"):
        call_command("import_scan", str(asset.uuid), str(GARAK_HITLOG), "--as", officer.email)
    with pytest.raises(CommandError, match="No single asset"):
        call_command("import_scan", "nope", str(PROMPTFOO_RESULTS), "--as", officer.email)
    assert not ScanRun.objects.exists()
