"""Record the contributors of the assessments and the writers of the risks that exist.

Segregation of duties needs to know who contributed to every version, including the
ones already in review when this runs (an admin who co-wrote an officer's draft must not
approve it after the upgrade). The audit trail knows: every content change was audited
with its actor. So:

* every assessment's author started it;
* `assessment.update` events: a changed summary makes the actor a summary contributor;
  a changed list of risks a risk contributor, the writer of each risk that appears and
  the last changer of each risk whose snapshot changed;
* `risk.create`, `risk.update`, `risk.delete` events likewise, per risk (a deleted
  risk's assessment is found in the risk history table);
* `assessment.submit` events: the actor submitted it.

Where nothing better is known (risks copied into a reassessment, generated demo data)
the risk's writer is the assessment's author, and its last changer its writer.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import migrations

CHUNK = 2000


def _key(value: Any) -> str:
    return str(value or "")


def backfill(apps: Any, schema_editor: Any) -> None:
    Assessment = apps.get_model("risk", "Assessment")
    Risk = apps.get_model("risk", "Risk")
    HistoricalRisk = apps.get_model("risk", "HistoricalRisk")
    Contribution = apps.get_model("risk", "AssessmentContribution")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    User = apps.get_model(settings.AUTH_USER_MODEL)

    users = set(User.objects.values_list("pk", flat=True))
    assessment_by_uuid: dict[str, int] = {}
    # (assessment id, user id, what) -> [first, last]
    found: dict[tuple[int, int, str], list[Any]] = {}

    def note(assessment_id: int | None, user_id: int | None, what: str, at: Any) -> None:
        if assessment_id is None or user_id not in users:
            return
        times = found.setdefault((assessment_id, user_id, what), [at, at])
        times[0], times[1] = min(times[0], at), max(times[1], at)

    for pk, uuid, author_id, created_at in Assessment.objects.values_list(
        "pk", "uuid", "author_id", "created_at"
    ).iterator(chunk_size=CHUNK):
        assessment_by_uuid[_key(uuid)] = pk
        note(pk, author_id, "started", created_at)

    risk_assessment: dict[str, int] = {}
    for uuid, assessment_id in HistoricalRisk.objects.values_list(
        "uuid", "assessment_id"
    ).iterator(chunk_size=CHUNK):
        risk_assessment[_key(uuid)] = assessment_id
    for uuid, assessment_id in Risk.objects.values_list("uuid", "assessment_id").iterator(
        chunk_size=CHUNK
    ):
        risk_assessment[_key(uuid)] = assessment_id

    created_by: dict[str, int] = {}
    updated_by: dict[str, int] = {}
    events = AuditEvent.objects.filter(
        action__in=[
            "assessment.submit",
            "assessment.update",
            "risk.create",
            "risk.update",
            "risk.delete",
        ]
    ).order_by("seq")
    for action, actor, object_id, at, before, after in events.values_list(
        "action", "actor_id", "object_id", "timestamp", "before", "after"
    ).iterator(chunk_size=CHUNK):
        if actor not in users:
            continue
        if action == "assessment.submit":
            note(assessment_by_uuid.get(object_id), actor, "submitted", at)
        elif action == "assessment.update":
            before, after = before or {}, after or {}
            assessment_id = assessment_by_uuid.get(object_id)
            if before.get("summary") != after.get("summary"):
                note(assessment_id, actor, "summary", at)
            old = {_key(r.get("id")): r for r in before.get("risks") or []}
            new = {_key(r.get("id")): r for r in after.get("risks") or []}
            if old != new:
                note(assessment_id, actor, "risks", at)
            for uuid, snapshot in new.items():
                if uuid not in old:
                    created_by.setdefault(uuid, actor)
                if old.get(uuid) != snapshot:
                    updated_by[uuid] = actor
        else:
            note(risk_assessment.get(object_id), actor, "risks", at)
            if action == "risk.create":
                created_by.setdefault(object_id, actor)
            if action in ("risk.create", "risk.update"):
                updated_by[object_id] = actor

    Contribution.objects.bulk_create(
        [
            Contribution(
                assessment_id=assessment_id, user_id=user_id, what=what, first_at=f, last_at=la
            )
            for (assessment_id, user_id, what), (f, la) in found.items()
        ],
        batch_size=CHUNK,
        ignore_conflicts=True,
    )

    authors = dict(Assessment.objects.values_list("pk", "author_id"))
    # Read first, then write: SQLite does not isolate a cursor from writes to its table.
    rows = list(Risk.objects.values_list("pk", "uuid", "assessment_id"))
    writers = []
    for pk, uuid, assessment_id in rows:
        writer = created_by.get(_key(uuid)) or authors[assessment_id]
        changer = updated_by.get(_key(uuid)) or writer
        writers.append(Risk(pk=pk, created_by_id=writer, updated_by_id=changer))
    Risk.objects.bulk_update(writers, ["created_by", "updated_by"], batch_size=CHUNK)


class Migration(migrations.Migration):
    dependencies = [
        ("risk", "0003_record_contributors_and_risk_writers"),
        ("audit", "0002_append_only_trigger"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
