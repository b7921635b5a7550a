from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import django
import pytest
from django.conf import settings
from django.test import Client

from riskhub.accounts.models import User
from riskhub.accounts.policy import Role
from riskhub.accounts.services import user_create
from tests.support import inner_loop

PASSWORD = "correct horse battery staple 42"
_counter = itertools.count()


def _reusable_sqlite_test_database() -> None:
    """`make test-fast` keeps its SQLite test databases between runs (pytest-django's
    --reuse-db, turned on in tests/env_plugin.py): migrating a fresh database costs each
    xdist worker about ten seconds. The file is named after the migrations and the
    Django version, so a changed migration gets a new database; old ones are removed."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.sqlite3":
        return
    digest = hashlib.sha256(django.get_version().encode())
    for migration in sorted(Path(settings.BASE_DIR, "riskhub").glob("*/migrations/*.py")):
        digest.update(migration.as_posix().encode() + migration.read_bytes())
    folder = Path(settings.BASE_DIR, "var", "test-fast")
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"db-{digest.hexdigest()[:16]}"
    for old in folder.glob("db-*"):
        if not old.name.startswith(stem):
            old.unlink(missing_ok=True)
    db["TEST"] = {**db.get("TEST", {}), "NAME": str(folder / f"{stem}.sqlite3")}


if inner_loop():
    _reusable_sqlite_test_database()

# Every test Client builds its own middleware chain, and WhiteNoise's constructor walks
# every static file through the finders (about a tenth of a second each time, most of
# a page test's cost). Looking files up when they are asked for serves the same files.
settings.WHITENOISE_AUTOREFRESH = True


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    return new_user


def new_user(role: Role = Role.RISK_OFFICER, email: str | None = None) -> User:
    """A user with the test password and an email no other test uses."""
    email = email or f"{role.value}-{next(_counter)}@example.com"
    return user_create(actor=None, email=email, role=role, password=PASSWORD)


@pytest.fixture
def officer(make_user: Callable[..., User]) -> User:
    return make_user(Role.RISK_OFFICER)


@pytest.fixture
def executive(make_user: Callable[..., User]) -> User:
    return make_user(Role.EXECUTIVE)


@pytest.fixture
def auditor(make_user: Callable[..., User]) -> User:
    return make_user(Role.AUDITOR)


@pytest.fixture
def admin_user(make_user: Callable[..., User]) -> User:
    return make_user(Role.ADMIN)


@pytest.fixture
def client_for(make_user: Callable[..., User]) -> Callable[[Role | None], Client]:
    """A test client signed in with a fresh user of the role (None: anonymous)."""

    def make(role: Role | None) -> Client:
        client = Client()
        if role is not None:
            client.force_login(make_user(role))
        return client

    return make


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:  # type: ignore[no-untyped-def]
    # Hashing strength is not under test; speed of the suite is.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _sqlite_audit_triggers(request):  # type: ignore[no-untyped-def]
    """SQLite's flush after a transactional test DELETEs every row, which the
    append-only trigger refuses (PostgreSQL flushes with TRUNCATE, which row
    triggers do not see). Keep the triggers on during each test and lift them only
    for the flush."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None:
        yield
        return
    request.getfixturevalue("_django_db_helper")
    from django.db import connection

    from riskhub.audit.triggers import SQLITE_DROP, SQLITE_SQL

    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        for statement in SQLITE_SQL:
            cursor.execute(statement)
    yield
    if marker.kwargs.get("transaction"):
        with connection.cursor() as cursor:
            for statement in SQLITE_DROP:
                cursor.execute(statement)


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Tasks run in-process (on_commit enqueues execute at once); ask for it by name."""
    from riskhub.celery import app as celery_app

    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


# Fixtures that start an outside process once per session, or seed a large module-wide
# world (the demo data: about 15 s): every test that uses one runs on the same xdist
# worker (`--dist loadgroup`), so the process starts (the world is built) once a run.
PROCESS_FIXTURES = {"mlflow_server": "mlflow", "demo": "demo"}


_UNGROUPED = pytest.StashKey[str]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> Iterator[None]:
    # The marks go on before any other hook runs: xdist's worker reads them in its own
    # hook of this name and adds the group to each test's id, which its scheduler uses.
    for item in items:
        names = getattr(item, "fixturenames", ())
        for fixture, group in PROCESS_FIXTURES.items():
            if fixture in names:
                item.add_marker(pytest.mark.xdist_group(group))
    yield
    if getattr(config.option, "loadgroup", False):
        if any(i.get_closest_marker("xdist_group") and "@" not in i.nodeid for i in items):
            config.stash[_UNGROUPED] = (
                "pytest-xdist did not put this test in its group (its id has no '@group'): "
                "this pytest and pytest-xdist do not work together (see the pin in "
                "pyproject.toml), and every worker would start its own outside process."
            )


@pytest.fixture(autouse=True)
def _grouped_on_one_worker(request: pytest.FixtureRequest) -> None:
    message = request.config.stash.get(_UNGROUPED, "")
    if message and request.node.get_closest_marker("xdist_group"):
        pytest.fail(message)
