"""PAdES signatures with the deployment's signing certificate (pyHanko).

Production names a key and a certificate (PEM) with REPORT_SIGNING_KEY and
REPORT_SIGNING_CERT. The embedded default generates a self-signed pair under
VAR_DIR/report-signing/ on first use, so a fresh checkout signs its reports; a
verifier compares the signer's certificate with this deployment's, which is what makes
"RiskHub produced it" checkable without a public CA.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from riskhub.env import env_str

SIGNATURE_FIELD = "RiskHubSignature"
T = TypeVar("T")


def _off_loop(work: Callable[[], T]) -> T:
    """pyHanko's synchronous API calls asyncio.run(); inside a running event loop (an
    async caller, Playwright's sync API in tests) run it on a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


@dataclass(frozen=True)
class SigningMaterial:
    key_path: Path
    cert_path: Path

    @property
    def cert_pem(self) -> bytes:
        return self.cert_path.read_bytes()

    @property
    def fingerprint(self) -> str:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes

        cert = x509.load_pem_x509_certificate(self.cert_pem)
        return cert.fingerprint(hashes.SHA256()).hex()

    @property
    def subject(self) -> str:
        from cryptography import x509

        return x509.load_pem_x509_certificate(self.cert_pem).subject.rfc4514_string()


def _generate_self_signed(key_path: Path, cert_path: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "RiskHub report signing"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "RiskHub deployment"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_path.parent.mkdir(parents=True, exist_ok=True)
    tmp_key = key_path.with_suffix(f".{os.getpid()}.tmp")
    tmp_key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    tmp_key.chmod(0o600)
    tmp_cert = cert_path.with_suffix(f".{os.getpid()}.tmp")
    tmp_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    # Two workers may start at once: the first rename wins for both files together.
    if not key_path.exists():
        tmp_key.replace(key_path)
        tmp_cert.replace(cert_path)
    else:
        tmp_key.unlink(missing_ok=True)
        tmp_cert.unlink(missing_ok=True)


def material() -> SigningMaterial:
    key = env_str("REPORT_SIGNING_KEY")
    cert = env_str("REPORT_SIGNING_CERT")
    if bool(key) != bool(cert):
        raise ImproperlyConfigured("Set both REPORT_SIGNING_KEY and REPORT_SIGNING_CERT, or none.")
    if key:
        found = SigningMaterial(Path(key), Path(cert))
        for path in (found.key_path, found.cert_path):
            if not path.is_file():
                raise ImproperlyConfigured(f"Report signing file {path} does not exist.")
        return found
    folder = Path(settings.VAR_DIR) / "report-signing"
    found = SigningMaterial(folder / "signing-key.pem", folder / "signing-cert.pem")
    if not (found.key_path.exists() and found.cert_path.exists()):
        _generate_self_signed(found.key_path, found.cert_path)
    return found


@lru_cache(maxsize=4)
def _signer(key_path: str, cert_path: str, mtime: float) -> Any:
    from pyhanko.sign import signers

    return signers.SimpleSigner.load(key_path, cert_path)


def sign_pdf(data: bytes, *, reason: str, location: str = "RiskHub") -> bytes:
    """Sign `data` (a PDF) with a PAdES baseline signature; return the signed bytes."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    found = material()
    signer = _signer(str(found.key_path), str(found.cert_path), found.cert_path.stat().st_mtime)
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=SigSeedSubFilter.PADES,
        reason=reason[:200],
        location=location,
        md_algorithm="sha256",
    )
    out = _off_loop(lambda: signers.sign_pdf(writer, meta, signer=signer))
    return out.getvalue()  # type: ignore[no-any-return]


@dataclass(frozen=True)
class SignatureCheck:
    present: bool
    intact: bool
    by_this_deployment: bool
    signer: str
    signed_at: dt.datetime | None
    covers_whole_file: bool
    message: str

    @property
    def valid(self) -> bool:
        return self.present and self.intact and self.by_this_deployment and self.covers_whole_file


def check_signature(data: bytes) -> SignatureCheck:
    """Validate the PDF's signatures: intact (the bytes are those signed), made with this
    deployment's certificate, and covering the whole file (nothing appended since)."""
    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception as exc:  # noqa: BLE001 - any parse failure means "not a PDF we know"
        return SignatureCheck(False, False, False, "", None, False, f"Not a readable PDF: {exc}")
    if not signatures:
        return SignatureCheck(False, False, False, "", None, False, "The PDF carries no signature.")
    found = material()
    _, _, der = pem.unarmor(found.cert_pem)
    ours = asn1_x509.Certificate.load(der)
    context = ValidationContext(trust_roots=[ours], allow_fetching=False)
    signature = signatures[-1]
    try:
        status = _off_loop(lambda: validate_pdf_signature(signature, context))
    except Exception as exc:  # noqa: BLE001
        return SignatureCheck(True, False, False, "", None, False, f"Validation failed: {exc}")
    signer_cert = status.signing_cert
    by_us = signer_cert is not None and (
        hashlib.sha256(signer_cert.dump()).hexdigest() == found.fingerprint
    )
    coverage = str(getattr(status, "coverage", ""))
    whole = "ENTIRE_FILE" in coverage
    signer = signer_cert.subject.human_friendly if signer_cert is not None else ""
    if not status.intact:
        message = "The signature is broken: the file was changed after signing."
    elif not by_us:
        message = "Signed, but not with this RiskHub deployment's certificate."
    elif not whole:
        message = "The signature is intact but content was appended after signing."
    else:
        message = "The signature is intact and was made by this RiskHub deployment."
    return SignatureCheck(
        True, bool(status.intact), by_us, signer, status.signer_reported_dt, whole, message
    )
