"""Demo content of the reports app: a monthly executive summary emailed to executives
and admins, and a weekly EU AI Act compliance report for auditors. Nothing is rendered
here; the worker renders when the schedule falls."""

from __future__ import annotations

from typing import Any

from riskhub.reports.models import Kind, ScheduledReport


def seed(
    *, users: Any = None, assets: int | None = None, seed: int = 1, stdout: Any = None
) -> None:
    rows = [
        (
            "Monthly executive summary",
            Kind.EXECUTIVE_SUMMARY,
            {},
            "monthly",
            ["executive", "admin"],
        ),
        (
            "Weekly EU AI Act compliance",
            Kind.FRAMEWORK_COMPLIANCE,
            {"framework": "eu-ai-act"},
            "weekly",
            ["auditor"],
        ),
    ]
    for name, kind, parameters, cadence, roles in rows:
        ScheduledReport.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "parameters": parameters,
                "cadence": cadence,
                "recipient_roles": roles,
            },
        )
    if stdout is not None:
        stdout.write("  reports: 2 scheduled reports\n")
