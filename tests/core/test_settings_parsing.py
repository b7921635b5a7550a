from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from riskhub.env import env_bool, env_int, env_list, parse_database_url, secret_from_env_or_file


def test_booleans_accept_the_usual_spellings(monkeypatch: pytest.MonkeyPatch) -> None:
    for raw, expected in [("1", True), ("TRUE", True), ("yes", True), ("off", False), ("0", False)]:
        monkeypatch.setenv("X_FLAG", raw)
        assert env_bool("X_FLAG") is expected


def test_a_malformed_boolean_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        env_bool("X_FLAG")


def test_a_malformed_integer_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_INT", "12abc")
    with pytest.raises(ImproperlyConfigured, match="not an integer"):
        env_int("X_INT", 3)
    monkeypatch.setenv("X_INT", "0")
    with pytest.raises(ImproperlyConfigured, match="at least 1"):
        env_int("X_INT", 3, minimum=1)


def test_lists_are_comma_separated_and_trimmed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("X_LIST", " a.example.com, ,b.example.com ")
    assert env_list("X_LIST") == ["a.example.com", "b.example.com"]


def test_sqlite_url_uses_wal_and_a_file_test_database(tmp_path: Path) -> None:
    config = parse_database_url(f"sqlite:///{tmp_path}/x.sqlite3", base_dir=tmp_path)
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert "journal_mode=WAL" in config["OPTIONS"]["init_command"]  # type: ignore[index]
    assert str(config["TEST"]["NAME"]).endswith(f"x-test-{os.getpid()}.sqlite3")  # type: ignore[index]


def test_postgres_url_is_split_into_parts(tmp_path: Path) -> None:
    config = parse_database_url(
        "postgres://app:s%40cret@db.internal:6432/riskhub?sslmode=require", base_dir=tmp_path
    )
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert (config["NAME"], config["USER"], config["PASSWORD"]) == ("riskhub", "app", "s@cret")
    assert (config["HOST"], config["PORT"]) == ("db.internal", "6432")
    assert config["OPTIONS"] == {"sslmode": "require", "options": "-c jit=off"}


def test_postgres_jit_stays_off_unless_the_url_sets_its_own_options(tmp_path: Path) -> None:
    own = parse_database_url(
        "postgres://app@db/riskhub?options=-c%20work_mem%3D64MB", base_dir=tmp_path
    )
    assert own["OPTIONS"] == {"options": "-c work_mem=64MB"}


def test_unknown_database_scheme_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImproperlyConfigured, match="mysql"):
        parse_database_url("mysql://x/y", base_dir=tmp_path)


def test_missing_secret_is_a_clear_error_in_production(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AUDIT_HMAC_KEY", raising=False)
    with pytest.raises(ImproperlyConfigured, match="AUDIT_HMAC_KEY is required when DEBUG is off"):
        secret_from_env_or_file("AUDIT_HMAC_KEY", var_dir=tmp_path, allow_generate=False)


def test_embedded_secret_is_generated_once_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = secret_from_env_or_file("SECRET_KEY", var_dir=tmp_path, allow_generate=True)
    second = secret_from_env_or_file("SECRET_KEY", var_dir=tmp_path, allow_generate=True)
    assert first == second and len(first) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_settings_module_refuses_to_start_without_secrets(tmp_path: Path) -> None:
    import subprocess
    import sys

    env = {"PATH": "/usr/bin:/bin", "DEBUG": "false", "RISKHUB_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']="
            "'riskhub.settings'; django.setup()",
        ],
        env=env,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr
