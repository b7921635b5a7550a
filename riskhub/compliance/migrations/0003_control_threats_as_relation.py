"""Control.threats becomes a relation to risk.Threat instead of a JSON list of codes.

The codes each control held are copied into ControlThreat rows in the same order, so
`export_catalog` prints the same lists. A code with no Threat row (the risk catalog was
never loaded) cannot be linked: it is skipped here, and the next `load_catalogs`, which
loads the threats before the controls, links it. The reverse migration writes the codes
back into the JSON list.
"""

from __future__ import annotations

import django.db.models.deletion
from django.db import migrations, models


def links_from_codes(apps, schema_editor):  # type: ignore[no-untyped-def]
    Control = apps.get_model("compliance", "Control")
    ControlThreat = apps.get_model("compliance", "ControlThreat")
    Threat = apps.get_model("risk", "Threat")
    threats = {t.code: t.pk for t in Threat.objects.all()}
    links = []
    for control in Control.objects.order_by("pk"):
        seen = set()
        for position, code in enumerate(control.legacy_threat_codes or []):
            if code in threats and code not in seen:
                seen.add(code)
                links.append(
                    ControlThreat(control=control, threat_id=threats[code], position=position)
                )
    ControlThreat.objects.bulk_create(links, batch_size=1000)


def codes_from_links(apps, schema_editor):  # type: ignore[no-untyped-def]
    Control = apps.get_model("compliance", "Control")
    ControlThreat = apps.get_model("compliance", "ControlThreat")
    codes: dict[int, list[str]] = {}
    for link in ControlThreat.objects.select_related("threat").order_by("control", "position"):
        codes.setdefault(link.control_id, []).append(link.threat.code)
    for control in Control.objects.all():
        control.legacy_threat_codes = codes.get(control.pk, [])
        control.save(update_fields=["legacy_threat_codes"])


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0002_evidence_url_null_when_no_link"),
        ("risk", "0001_initial"),
    ]

    operations = [
        migrations.RenameField(
            model_name="control", old_name="threats", new_name="legacy_threat_codes"
        ),
        migrations.CreateModel(
            name="ControlThreat",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("position", models.PositiveSmallIntegerField(default=0)),
                (
                    "control",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="threat_links",
                        to="compliance.control",
                    ),
                ),
                (
                    "threat",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="control_links",
                        to="risk.threat",
                    ),
                ),
            ],
            options={"ordering": ["control", "position"]},
        ),
        migrations.AddConstraint(
            model_name="controlthreat",
            constraint=models.UniqueConstraint(
                fields=("control", "threat"), name="control_threat_unique"
            ),
        ),
        migrations.AddField(
            model_name="control",
            name="threats",
            field=models.ManyToManyField(
                related_name="controls", through="compliance.ControlThreat", to="risk.threat"
            ),
        ),
        migrations.RunPython(links_from_codes, codes_from_links),
        migrations.RemoveField(model_name="control", name="legacy_threat_codes"),
    ]
