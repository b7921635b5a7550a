"""Emails are plain text: a name with "&" or "<" reaches the reader as typed, in the
subject and in the body, never as "&amp;" or "&lt;"."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core import mail

from riskhub.accounts.policy import Role
from riskhub.common.mail import render_plain_text
from riskhub.inventory import services as inventory
from riskhub.reports import services as reports
from riskhub.reports.models import Report, ScheduledReport
from riskhub.risk import catalog_loader as risk_catalogs
from riskhub.risk import notifications as risk_notifications
from riskhub.risk import services as risk_services

pytestmark = pytest.mark.django_db

NAME = "Tom & Jerry <script>"
ESCAPED = ("&amp;", "&lt;", "&gt;", "&#x27;", "&quot;")


def _assert_plain(text: str) -> None:
    assert NAME in text
    for entity in ESCAPED:
        assert entity not in text


def test_a_scheduled_report_email_shows_names_as_typed(make_user: Any, settings: Any) -> None:
    settings.RISKHUB_BASE_URL = "http://testserver"
    officer = make_user(Role.RISK_OFFICER)
    cto = make_user(Role.EXECUTIVE)
    schedule = reports.schedule_create(
        actor=officer,
        name=NAME,
        kind="executive-summary",
        parameters={},
        cadence=ScheduledReport.Cadence.WEEKLY,
        recipient_roles=[Role.EXECUTIVE],
    )
    report = Report.objects.create(
        kind="executive-summary", title=f"Executive summary: {NAME}", schedule=schedule
    )
    mail.outbox.clear()

    assert reports.notify_schedule_recipients(report.pk) == 1

    (message,) = mail.outbox
    assert message.to == [cto.email]
    assert message.subject == f"RiskHub report ready: Executive summary: {NAME}"
    _assert_plain(message.subject)
    assert f'The scheduled report "{NAME}"' in message.body
    _assert_plain(message.body)


def test_a_review_request_email_shows_the_asset_name_as_typed(make_user: Any) -> None:
    risk_catalogs.load(stdout=io.StringIO())
    officer = make_user(Role.RISK_OFFICER)
    reviewer = make_user(Role.EXECUTIVE)
    asset = inventory.asset_create(actor=officer, kind="dataset", name=NAME)
    assessment = risk_services.assessment_start(actor=officer, asset=asset)
    mail.outbox.clear()

    assert risk_notifications.assessment_submitted(assessment.pk) == 1

    (message,) = mail.outbox
    assert message.to == [reviewer.email]
    assert message.subject == f"[RiskHub] Assessment to review: {NAME} v1"
    assert f"of {NAME} (version 1)" in message.body
    _assert_plain(message.subject)
    _assert_plain(message.body)


def test_mail_templates_render_without_html_escaping() -> None:
    text = render_plain_text(
        "reports/email/scheduled_subject.txt", {"report": {"title": "R&D <beta>"}}
    )
    assert text.strip() == "RiskHub report ready: R&D <beta>"
