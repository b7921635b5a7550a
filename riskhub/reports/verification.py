"""Did RiskHub produce this PDF, is its signature intact, when, for whom, how?

One rule (`outcome`) names the result for the signed-in page, its API and the public
page and API: "Intact" only when the signature validates with this deployment's
certificate up to its trust root and covers the whole file; "Altered after signing"
when a signature is present but the bytes it covers changed, or content was added
after it; "Unknown" otherwise (no signature, another signer, not a PDF).
"""

from __future__ import annotations

import enum
import hashlib
import io
import json
import re
from dataclasses import dataclass
from typing import Any

from riskhub.reports import pdf, selectors, signing
from riskhub.reports.models import Report

SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
MAX_UPLOAD = 100 * 1024 * 1024


class Outcome(enum.StrEnum):
    INTACT = "intact"
    ALTERED = "altered"
    UNKNOWN = "unknown"
    # Signed-in lookups by SHA-256 whose file is no longer stored: nothing to validate.
    RECORDED = "recorded"

    @property
    def label(self) -> str:
        return {
            "intact": "Intact",
            "altered": "Altered after signing",
            "unknown": "Unknown",
            "recorded": "Checksum on record",
        }[self.value]

    @property
    def tone(self) -> str:
        """The Bootstrap colour of the headline: green only for a validated signature."""
        return {
            "intact": "success",
            "altered": "danger",
            "unknown": "secondary",
            "recorded": "warning",
        }[self.value]


def outcome(known: bool, signature: signing.SignatureCheck | None) -> Outcome:
    if signature is None:
        return Outcome.RECORDED if known else Outcome.UNKNOWN
    if signature.valid:
        return Outcome.INTACT
    if signature.altered:
        return Outcome.ALTERED
    return Outcome.UNKNOWN


def looks_like_pdf(head: bytes) -> bool:
    """A PDF by content: the header within the first kilobyte (ISO 32000-1, 7.5.2)."""
    return b"%PDF-" in head[:1024]


def embedded_scope(data: bytes) -> str:
    """The scope the report printed, from its embedded JSON (only read from a file whose
    signature validated, so it is what RiskHub wrote)."""
    from pypdf import PdfReader

    try:
        found = PdfReader(io.BytesIO(data)).attachments.get(pdf.DATA_ATTACHMENT) or []
        payload = json.loads(found[0]) if found else {}
    except Exception:  # noqa: BLE001 - a report without readable data has no scope to show
        return ""
    scope = payload.get("scope") if isinstance(payload, dict) else None
    if isinstance(scope, dict):
        return str(scope.get("description") or "")
    return str(scope or "")


@dataclass
class Verdict:
    sha256: str
    known: bool
    report: Report | None
    signature: signing.SignatureCheck | None
    scope: str = ""

    @property
    def outcome(self) -> Outcome:
        return outcome(self.known, self.signature)

    def public_dict(self) -> dict[str, Any]:
        """What the public page and API tell anyone: the outcome, and for a report whose
        signature validates its title, scope and issue date; nothing else."""
        intact = self.outcome is Outcome.INTACT
        report = self.report if intact else None
        return {
            "result": self.outcome.value,
            "label": self.outcome.label,
            "report": None
            if report is None
            else {
                "title": report.title,
                "scope": self.scope,
                "issued_at": report.finished_at,
            },
            "signed_at": self.signature.signed_at if intact and self.signature else None,
            "timestamped": bool(intact and self.signature and self.signature.timestamp_valid),
        }

    @property
    def summary(self) -> str:
        result = self.outcome
        if result is Outcome.INTACT:
            if self.known:
                return "RiskHub produced this report and its signature is intact."
            return "Signed by this RiskHub deployment and intact; RiskHub has no record of it."
        if result is Outcome.ALTERED:
            return "The file was altered after it was signed; RiskHub has no record of these bytes."
        if result is Outcome.RECORDED:
            return (
                "RiskHub produced this report (checksum on record); the file is no longer stored."
            )
        if self.known:
            return "RiskHub recorded this checksum, but the signature does not validate."
        return "RiskHub has no record of this file and it carries no signature of this deployment."

    def as_dict(self) -> dict[str, Any]:
        report = self.report
        sig = self.signature
        return {
            "sha256": self.sha256,
            "result": self.outcome.value,
            "label": self.outcome.label,
            "produced_by_riskhub": self.known,
            "summary": self.summary,
            "report": None
            if report is None
            else {
                "id": str(report.uuid),
                "kind": report.kind,
                "title": report.title,
                "parameters": report.parameters,
                "requested_by": report.requested_by.email if report.requested_by else None,
                "generated_at": report.finished_at,
                "pages": report.pages,
                "data_sha256": report.data_sha256,
                "signer": report.signer,
            },
            "signature": None
            if sig is None
            else {
                "present": sig.present,
                "intact": sig.intact,
                "by_this_deployment": sig.by_this_deployment,
                "covers_whole_file": sig.covers_whole_file,
                "valid": sig.valid,
                "trusted": sig.trusted,
                "timestamped": sig.timestamped,
                "timestamp_valid": sig.timestamp_valid,
                "long_term_validation_data": sig.long_term_data,
                "signer": sig.signer,
                "signed_at": sig.signed_at,
                "message": sig.message,
            },
        }


def _checked(digest: str, report: Report | None, data: bytes) -> Verdict:
    signature = signing.check_signature(data)
    scope = embedded_scope(data) if report is not None and signature.valid else ""
    return Verdict(digest, report is not None, report, signature, scope)


def verify_bytes(data: bytes) -> Verdict:
    digest = hashlib.sha256(data).hexdigest()
    return _checked(digest, selectors.report_by_sha256(digest), data)


def verify_digest(digest: str) -> Verdict:
    digest = digest.strip().lower()
    if not SHA256.match(digest):
        raise ValueError("A SHA-256 is 64 hexadecimal characters.")
    report = selectors.report_by_sha256(digest)
    if report is not None and report.file:
        # The stored file is still here: validate its signature too.
        with report.file.open("rb") as handle:
            return _checked(digest, report, handle.read())
    return Verdict(digest, report is not None, report, None)
