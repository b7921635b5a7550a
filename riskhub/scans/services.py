"""Importing a scan report: validated, all or nothing, audited, and the loop closed.

One import, in one transaction:
1. the file passes the evidence upload checks (size and content, `compliance.uploads`)
   and the tool's parser; every check it ran must be in the mapping table. Any row
   error refuses the whole file (ScanImportError lists them) and nothing is kept;
2. a ScanRun with one Finding per probe and detector (promptfoo: plugin and strategy),
   linked to the threats the mapping names, with a few failing examples;
3. the raw report is filed as evidence (SHA-256, valid SCAN_EVIDENCE_VALID_DAYS) of
   each control the run tests, at the asset's scope. A missing implementation is
   created "not started": the scan is evidence, but whether the control is in place
   stays a person's call;
4. a threat whose failure rate is above SCAN_FAILURE_THRESHOLD_PERCENT puts the
   likelihood the run suggests into a draft reassessment for the asset's owner
   (through the risk services, so contributions and segregation of duties hold). It
   never submits, approves or accepts anything;
5. one `scan.imported` audit event.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from riskhub.accounts.models import User
from riskhub.accounts.policy import require
from riskhub.audit.services import record_event
from riskhub.compliance import services as compliance_services
from riskhub.compliance import uploads
from riskhub.compliance.models import Control, ControlImplementation, Evidence
from riskhub.compliance.selectors import local_today
from riskhub.inventory.models import Asset
from riskhub.risk import services as risk_services
from riskhub.risk.models import Assessment, Risk, Threat
from riskhub.scans.mapping import Entry, Mapping, load_mapping
from riskhub.scans.models import Finding, ScanRun, Tool
from riskhub.scans.parsers import detect_tool, parse
from riskhub.scans.parsers import garak as garak_parser
from riskhub.scans.parsers.base import ParsedReport, RowError


class ScanImportError(ValidationError):
    """The file is refused; `rows` says where and why (line 0: the file as a whole)."""

    def __init__(self, rows: list[RowError]) -> None:
        self.rows = rows
        super().__init__([_row_message(r) for r in rows])


def _row_message(row: RowError) -> str:
    if not row.line:
        return row.reason
    return f"Line {row.line}{f' ({row.column})' if row.column else ''}: {row.reason}"


@dataclass(frozen=True)
class ThreatResult:
    threat: Threat
    attempts: int
    failures: int

    @property
    def failure_rate(self) -> float:
        return self.failures / self.attempts if self.attempts else 0.0


def _read_checked(file: IO[bytes], name: str, size: int | None) -> tuple[bytes, str]:
    """The evidence checks (size limit, content type), then the bytes and SHA-256."""
    try:
        checked = uploads.check_upload(file, name, size, allow_markup=True)
    except ValidationError as exc:
        raise ScanImportError([RowError(0, "file", m) for m in exc.messages]) from None
    if checked.kind not in ("json", "txt"):
        raise ScanImportError(
            [
                RowError(
                    0,
                    "file",
                    f"The file is {uploads.TYPES[checked.kind].label}; a scan report is "
                    "garak's JSONL report or promptfoo's JSON results.",
                )
            ]
        )
    file.seek(0)
    data = file.read()
    file.seek(0)
    return data, checked.sha256


def _map(report: ParsedReport, mapping: Mapping) -> dict[tuple[str, str], Entry]:
    entries: dict[tuple[str, str], Entry] = {}
    for key, finding in report.findings.items():
        if report.tool == Tool.GARAK:
            entry = mapping.garak_probe(finding.probe)
            if entry is None:
                report.errors.append(
                    RowError(
                        finding.line,
                        "probe",
                        f"garak probe {finding.probe} is not in the mapping table "
                        f"(riskhub/scans/catalogs/mapping.yaml, version {mapping.version}).",
                    )
                )
                continue
        else:
            plugin = mapping.promptfoo_plugin(finding.probe)
            strategy = mapping.promptfoo_strategy(finding.detector)
            if plugin is None or strategy is None:
                what = (
                    f"plugin {finding.probe}" if plugin is None else f"strategy {finding.detector}"
                )
                report.errors.append(
                    RowError(
                        finding.line,
                        "pluginId" if plugin is None else "strategyId",
                        f"promptfoo {what} is not in the mapping table "
                        f"(riskhub/scans/catalogs/mapping.yaml, version {mapping.version}).",
                    )
                )
                continue
            entry = plugin | strategy
        entries[key] = entry
    return entries


def _threats(codes: set[str]) -> dict[str, Threat]:
    found = {t.code: t for t in Threat.objects.filter(code__in=codes)}
    missing = sorted(codes - set(found))
    if missing:
        raise ScanImportError(
            [
                RowError(
                    0,
                    "mapping",
                    f"The threat catalog has no {', '.join(missing)}; run load_catalogs.",
                )
            ]
        )
    return found


def threat_results(run: ScanRun) -> list[ThreatResult]:
    """Attempts and failures per threat of one run (a finding counts for each of its
    threats), worst failure rate first."""
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    threats: dict[int, Threat] = {}
    for finding in run.findings.prefetch_related("threats"):
        for threat in finding.threats.all():
            threats[threat.pk] = threat
            totals[threat.pk][0] += finding.attempts
            totals[threat.pk][1] += finding.failures
    results = [ThreatResult(threats[pk], a, f) for pk, (a, f) in totals.items()]
    return sorted(results, key=lambda r: (-r.failure_rate, r.threat.code))


@transaction.atomic
def scan_import(
    *,
    actor: User,
    asset: Asset,
    file: IO[bytes],
    name: str,
    size: int | None = None,
    tool: str | None = None,
) -> ScanRun:
    """Import one report for `asset`; raises ScanImportError (nothing kept) or
    PermissionDenied."""
    require(actor, "compliance.edit")
    require(actor, "risk.edit")
    if asset.is_archived:
        raise ScanImportError([RowError(0, "asset", "The asset is archived.")])
    data, sha256 = _read_checked(file, name, size)
    detected = detect_tool(data, name)
    if detected is None and garak_parser.looks_like_hitlog(data):
        raise ScanImportError(
            [
                RowError(
                    0,
                    "file",
                    "This is garak's hit log (…hitlog.jsonl), which lists only the "
                    "failures; import the report (…report.jsonl) of the same run.",
                )
            ]
        )
    if detected is None:
        raise ScanImportError(
            [
                RowError(
                    0,
                    "file",
                    "This is neither a garak report (JSONL with entry_type lines) nor "
                    "promptfoo results (JSON with results); PyRIT exports are not "
                    "imported yet.",
                )
            ]
        )
    if tool and tool != detected:
        raise ScanImportError(
            [RowError(0, "tool", f"The file is a {detected} report, not {tool}.")]
        )
    report = parse(detected, data)
    mapping = load_mapping()
    entries = _map(report, mapping)
    if not report.errors and not report.findings:
        report.errors.append(RowError(0, "file", "The report holds no evaluated attempts."))
    if report.errors:
        raise ScanImportError(report.errors)
    threats = _threats({code for e in entries.values() for code in e.threats})

    attempts = sum(f.attempts for f in report.findings.values())
    failures = sum(f.failures for f in report.findings.values())
    run = ScanRun(
        asset=asset,
        tool=detected,
        tool_version=report.tool_version[:40],
        ran_at=report.ran_at or timezone.now(),
        target=report.target[:300],
        report_name=uploads.sanitise_name(name),
        report_sha256=sha256,
        report_size=len(data),
        mapping_version=mapping.version,
        attempts=attempts,
        failures=failures,
        imported_by=actor,
    )
    run.full_clean()
    run.save()
    findings = Finding.objects.bulk_create(
        [
            Finding(
                run=run,
                asset=asset,
                probe=f.probe[:200],
                detector=f.detector[:200],
                attempts=f.attempts,
                failures=f.failures,
                serious=entries[key].serious,
                examples=f.examples,
            )
            for key, f in sorted(report.findings.items())
        ]
    )
    links = []
    for finding, key in zip(findings, sorted(report.findings), strict=True):
        for code in entries[key].threats:
            links.append(Finding.threats.through(finding=finding, threat=threats[code]))
    Finding.threats.through.objects.bulk_create(links)

    controls = _controls_tested(detected, entries, mapping)
    evidence = _file_evidence(actor, asset, run, controls, data)
    run.evidence.set(evidence)
    outcome: dict[str, Any] = {
        "controls": [c.code for c in controls],
        **_propose_reassessment(actor, asset, run),
    }
    run.outcome = outcome
    run.save(update_fields=["outcome"])
    failed = sum(1 for f in findings if f.failures)
    record_event(
        actor=actor,
        action="scan.imported",
        object_type="scan_run",
        object_id=run.uuid,
        object_repr=str(run),
        after={
            "asset": asset.pk,
            "asset_uuid": str(asset.uuid),
            "tool": detected,
            "tool_version": run.tool_version,
            "report_sha256": sha256,
            "mapping_version": mapping.version,
            "findings": len(findings),
            "failed": failed,
            "attempts": attempts,
            "failures": failures,
            "serious_failed": sum(1 for f in findings if f.failures and f.serious),
            **outcome,
        },
    )
    return run


def _controls_tested(
    tool: str, entries: dict[tuple[str, str], Entry], mapping: Mapping
) -> list[Control]:
    codes = list(mapping.tool_controls.get(tool, ()))
    for entry in entries.values():
        codes += [c for c in entry.controls if c not in codes]
    found = {c.code: c for c in Control.objects.filter(code__in=codes, retired=False)}
    return [found[c] for c in codes if c in found]


def _implementation(actor: User, asset: Asset, control: Control) -> ControlImplementation:
    scope = Control.Scope.SYSTEM if asset.kind == Asset.Kind.SYSTEM else Control.Scope.ASSET
    existing = ControlImplementation.objects.filter(
        control=control, scope=scope, asset=asset
    ).first()
    if existing is not None:
        return existing
    return compliance_services.implementation_create(
        actor=actor,
        control=control,
        scope=scope,
        asset=asset,
        owner=asset.owner,
        notes="Opened by a security scan import, which files its report here as "
        "evidence. Whether the control is implemented is for a person to decide.",
    )


def _file_evidence(
    actor: User, asset: Asset, run: ScanRun, controls: list[Control], data: bytes
) -> list[Evidence]:
    import io

    valid_until = local_today() + dt.timedelta(days=settings.SCAN_EVIDENCE_VALID_DAYS)
    pass_rate = f"{run.pass_rate:.0%}" if run.pass_rate is not None else "n/a"
    description = (
        f"{run.get_tool_display()} {run.tool_version} scan of {asset.name}: "
        f"{run.attempts} attempts, {run.failures} failed (pass rate {pass_rate})"
    )[:500]
    stored = []
    for control in controls:
        implementation = _implementation(actor, asset, control)
        stored.append(
            compliance_services.evidence_add_file(
                actor=actor,
                implementation=implementation,
                file=io.BytesIO(data),
                name=run.report_name,
                description=description,
                valid_until=valid_until,
                size=len(data),
                allow_markup=True,
            )
        )
    return stored


def suggested_likelihood(failure_rate: float, levels: int) -> int:
    """The likelihood level a measured failure rate suggests on a matrix with `levels`
    likelihood levels: the share of the scale the rate covers, rounded up (on 5 levels,
    up to 20% is 1, above 80% is 5)."""
    return max(1, min(levels, math.ceil(failure_rate * levels)))


def _propose_reassessment(actor: User, asset: Asset, run: ScanRun) -> dict[str, Any]:
    threshold = settings.SCAN_FAILURE_THRESHOLD_PERCENT / 100
    over = [r for r in threat_results(run) if r.failures and r.failure_rate > threshold]
    if not over:
        return {"assessment": None, "assessment_note": "No threat failed above the threshold."}
    current = Assessment.objects.filter(asset=asset, status__in=Assessment.OPEN).first()
    if current is not None and current.status == Assessment.Status.IN_REVIEW:
        return {
            "assessment": str(current.uuid),
            "assessment_note": f"Version {current.version} is in review and was not "
            "changed; return it to take the scan's findings in.",
        }
    started = current is None
    assessment = current or risk_services.assessment_start(actor=actor, asset=asset)
    levels = assessment.matrix.likelihood_count
    middle_impact = (assessment.matrix.impact_count + 1) // 2
    changed = []
    for result in over:
        likelihood = suggested_likelihood(result.failure_rate, levels)
        note = (
            f"{run.get_tool_display()} scan of {run.ran_at:%Y-%m-%d}: {result.failures} of "
            f"{result.attempts} attempts failed ({result.failure_rate:.0%}), which "
            f"suggests likelihood {likelihood} of {levels}."
        )
        assessment.refresh_from_db()
        risk = (
            assessment.risks.filter(threat=result.threat).exclude(status=Risk.Status.CLOSED).first()
        )
        if risk is None:
            risk_services.risk_create(
                actor=actor,
                assessment=assessment,
                expected_revision=assessment.revision,
                threat=result.threat,
                title=result.threat.name,
                description=note,
                inherent_impact=middle_impact,
                inherent_likelihood=likelihood,
                residual_impact=middle_impact,
                residual_likelihood=likelihood,
                treatment=Risk.Treatment.MITIGATE,
                owner=asset.owner,
            )
            changed.append(result.threat.code)
        elif risk.residual_likelihood < likelihood:
            # The scan measured the system as it runs, controls included: that is
            # the residual likelihood (and the inherent one cannot be lower).
            risk_services.risk_update(
                actor=actor,
                risk=risk,
                expected_revision=assessment.revision,
                residual_likelihood=likelihood,
                inherent_likelihood=max(risk.inherent_likelihood, likelihood),
                description=f"{risk.description}\n\n{note}".strip(),
            )
            changed.append(result.threat.code)
    return {
        "assessment": str(assessment.uuid),
        "assessment_started": started,
        "threats_over_threshold": [r.threat.code for r in over],
        "risks_changed": changed,
        "assessment_note": (
            f"Draft version {assessment.version} "
            f"{'started' if started else 'updated'} for the owner to review and submit."
        ),
    }
