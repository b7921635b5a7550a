"""Did RiskHub produce this PDF, is its signature intact, when, for whom, how?"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from riskhub.reports import selectors, signing
from riskhub.reports.models import Report

SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
MAX_UPLOAD = 100 * 1024 * 1024


@dataclass
class Verdict:
    sha256: str
    known: bool
    report: Report | None
    signature: signing.SignatureCheck | None

    @property
    def summary(self) -> str:
        if not self.known:
            return "RiskHub has no record of a report with this SHA-256."
        if self.signature is None:
            return "RiskHub produced this report (checksum on record)."
        if self.signature.valid:
            return "RiskHub produced this report and its signature is intact."
        return "RiskHub recorded this checksum, but the signature does not validate."

    def as_dict(self) -> dict[str, Any]:
        report = self.report
        sig = self.signature
        return {
            "sha256": self.sha256,
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
                "signer": sig.signer,
                "signed_at": sig.signed_at,
                "message": sig.message,
            },
        }


def verify_bytes(data: bytes) -> Verdict:
    digest = hashlib.sha256(data).hexdigest()
    report = selectors.report_by_sha256(digest)
    return Verdict(digest, report is not None, report, signing.check_signature(data))


def verify_digest(digest: str) -> Verdict:
    digest = digest.strip().lower()
    if not SHA256.match(digest):
        raise ValueError("A SHA-256 is 64 hexadecimal characters.")
    report = selectors.report_by_sha256(digest)
    signature = None
    if report is not None and report.file:
        # The stored file is still here: validate its signature too.
        with report.file.open("rb") as handle:
            signature = signing.check_signature(handle.read())
    return Verdict(digest, report is not None, report, signature)
