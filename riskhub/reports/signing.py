"""PAdES signatures with the deployment's document-signing certificate (pyHanko).

Where the key comes from (settings, documented in .env.example and README):

- REPORT_SIGNING_KEY + REPORT_SIGNING_CERT (PEM; REPORT_SIGNING_KEY_PASSWORD if the key
  is encrypted), or REPORT_SIGNING_PKCS12 (+ REPORT_SIGNING_PKCS12_PASSWORD): a
  document-signing certificate from the organisation's CA. REPORT_SIGNING_CHAIN names
  the CA certificate(s) (PEM) that a verifier trusts; a PKCS#12 bundle's own CA
  certificates count too. Without a chain, the certificate itself is the trust root.
- none of them: on first use a local CA and a leaf certificate under it are generated
  into VAR_DIR/report-signing/local-ca/ (the CA's private key is thrown away once the leaf is
  signed; its certificate stays beside the leaf as the trust root).

Either way the signing certificate must be a document-signing leaf: digitalSignature and
nonRepudiation key usage, no code-signing EKU, not a CA. Its SHA-256 fingerprint is
printed on every report and published at /reports/signing-certificate/, so an outsider
compares the certificate in a PDF with the one the deployment publishes.

With REPORT_TSA_URL, each signature carries an RFC 3161 timestamp from that authority
(PAdES B-T) and, unless REPORT_SIGNING_LTV is off, the certificates and any revocation
data of both chains in the document security store (PAdES B-LT).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, TypeVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

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


def fingerprint_display(fingerprint: str) -> str:
    """A SHA-256 fingerprint as printed on reports and the public page: upper case, in
    eight groups of eight, so it wraps between groups and never inside one."""
    value = fingerprint.replace(":", "").replace(" ", "").upper()
    return " ".join(value[i : i + 8] for i in range(0, len(value), 8))


@dataclass(frozen=True)
class SigningMaterial:
    """The signing certificate, its CA chain and where the private key is."""

    cert_pem: bytes
    chain_pem: tuple[bytes, ...]
    key_path: Path | None = None
    cert_path: Path | None = None
    chain_paths: tuple[Path, ...] = ()
    key_password: str = ""
    pkcs12_path: Path | None = None
    pkcs12_password: str = ""

    def _cert(self) -> Any:
        from cryptography import x509

        return x509.load_pem_x509_certificate(self.cert_pem)

    @property
    def fingerprint(self) -> str:
        from cryptography.hazmat.primitives import hashes

        return str(self._cert().fingerprint(hashes.SHA256()).hex())

    @property
    def subject(self) -> str:
        return str(self._cert().subject.rfc4514_string())

    @property
    def issuer(self) -> str:
        return str(self._cert().issuer.rfc4514_string())

    @property
    def not_after(self) -> dt.datetime:
        return self._cert().not_valid_after_utc  # type: ignore[no-any-return]

    @property
    def trust_roots_pem(self) -> tuple[bytes, ...]:
        """What a verifier trusts: the CA chain, or the certificate itself without one."""
        return self.chain_pem or (self.cert_pem,)

    @property
    def bundle_pem(self) -> bytes:
        """The signing certificate followed by its CA chain, one PEM file."""
        return b"".join((self.cert_pem, *self.chain_pem))

    def signer(self) -> Any:
        from pyhanko.sign import signers

        if self.pkcs12_path is not None:
            found = signers.SimpleSigner.load_pkcs12(
                str(self.pkcs12_path),
                ca_chain_files=[str(p) for p in self.chain_paths] or None,
                passphrase=self.pkcs12_password.encode() or None,
            )
        else:
            found = signers.SimpleSigner.load(
                str(self.key_path),
                str(self.cert_path),
                ca_chain_files=[str(p) for p in self.chain_paths] or None,
                key_passphrase=self.key_password.encode() or None,
            )
        if found is None:
            raise ImproperlyConfigured("The report signing key could not be loaded.")
        return _key_parsed_once(found)


def _key_parsed_once(loaded: Any) -> Any:
    """The loaded signer, with its private key parsed once. pyHanko's SimpleSigner parses
    (and, for RSA, validates) the key on every raw signature, and a document is signed
    twice (a dry run sizes the signature): about 0.2 s each for a 3072-bit key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from pyhanko.sign import signers
    from pyhanko.sign.general import get_pyca_cryptography_hash

    class Signer(signers.SimpleSigner):  # type: ignore[misc]
        key: Any = None

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            try:
                mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
                plain_rsa = mechanism.signature_algo == "rsassa_pkcs1v15"
            except ValueError:
                plain_rsa = False
            if not plain_rsa or not isinstance(self.key, RSAPrivateKey):
                return super().sign_raw(data, digest_algorithm)  # type: ignore[no-any-return]
            return self.key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))

    signer = Signer(
        signing_cert=loaded.signing_cert,
        signing_key=loaded.signing_key,
        cert_registry=loaded.cert_registry,
        signature_mechanism=loaded.signature_mechanism,
        prefer_pss=loaded.prefer_pss,
        embed_roots=loaded.embed_roots,
    )
    signer.key = serialization.load_der_private_key(loaded.signing_key.dump(), password=None)
    return signer


def report_context() -> dict[str, str]:
    """What a report prints about its signature (the PDF base template's About block)."""
    from django.urls import reverse

    from riskhub.common.mail import absolute_url

    found = material()
    if not settings.REPORT_TSA_URL:
        profile = "PAdES B-B (signing time from this deployment's clock)"
    elif settings.REPORT_SIGNING_LTV:
        profile = "PAdES B-LT (RFC 3161 timestamp, validation data embedded)"
    else:
        profile = "PAdES B-T (RFC 3161 timestamp)"
    return {
        "signing_profile": profile,
        "signing_subject": found.subject,
        "signing_fingerprint": fingerprint_display(found.fingerprint),
        "signing_certificate_url": absolute_url(reverse("reports:signing_certificate")),
    }


def document_signing_problems(cert_pem: bytes) -> list[str]:
    """Why a certificate is not fit to sign reports (empty when it is)."""
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID

    cert = x509.load_pem_x509_certificate(cert_pem)
    problems = []
    try:
        basic = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        if basic.ca:
            problems.append("it is a CA certificate (basicConstraints CA:TRUE)")
    except x509.ExtensionNotFound:
        pass
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        if not (usage.digital_signature and usage.content_commitment):
            problems.append("its key usage lacks digitalSignature and nonRepudiation")
        if usage.key_cert_sign:
            problems.append("its key usage allows signing certificates")
    except x509.ExtensionNotFound:
        problems.append("it has no key usage extension")
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        if ExtendedKeyUsageOID.CODE_SIGNING in eku:
            problems.append("its extended key usage is code signing")
    except x509.ExtensionNotFound:
        pass
    return problems


def _leaf_extensions(builder: Any, *, ca: bool) -> Any:
    from cryptography import x509

    usage = dict.fromkeys(
        (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        ),
        False,
    )
    if ca:
        usage.update(key_cert_sign=True, crl_sign=True)
    else:
        usage.update(digital_signature=True, content_commitment=True)
    return builder.add_extension(
        x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True
    ).add_extension(x509.KeyUsage(**usage), critical=True)


def _generate_local_ca_and_leaf(folder: Path) -> None:
    """A local CA (its key discarded after use) and a document-signing leaf under it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    def name(common: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COMMON_NAME, common),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "RiskHub deployment"),
            ]
        )

    now = dt.datetime.now(dt.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    ca_name = name("RiskHub local report-signing CA")
    ca_builder = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=7300))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
    )
    ca_cert = _leaf_extensions(ca_builder, ca=True).sign(ca_key, hashes.SHA256())
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    leaf_builder = (
        x509.CertificateBuilder()
        .subject_name(name("RiskHub report signing"))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
    )
    cert = _leaf_extensions(leaf_builder, ca=False).sign(ca_key, hashes.SHA256())
    files = {
        "signing-key.pem": key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        "signing-cert.pem": cert.public_bytes(serialization.Encoding.PEM),
        "ca-cert.pem": ca_cert.public_bytes(serialization.Encoding.PEM),
    }
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".local-", dir=folder.parent))
    for name_, content in files.items():
        (staging / name_).write_bytes(content)
        (staging / name_).chmod(0o600 if name_ == "signing-key.pem" else 0o644)
    # Two workers may start at once: the first to rename its folder wins for both.
    try:
        staging.rename(folder)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)


def default_folder() -> Path:
    """Where the generated local CA and leaf live (the CA's key is never stored)."""
    return Path(settings.VAR_DIR) / "report-signing" / "local-ca"


def _existing(value: str, what: str) -> Path:
    path = Path(value)
    if not path.is_file():
        raise ImproperlyConfigured(f"{what} {path} does not exist.")
    return path


def _split_pem(data: bytes) -> tuple[bytes, ...]:
    from asn1crypto import pem

    return tuple(
        pem.armor("CERTIFICATE", der)
        for kind, _, der in pem.unarmor(data, multiple=True)
        if kind == "CERTIFICATE"
    )


def _pkcs12_material(path: Path, password: str, chain_paths: tuple[Path, ...]) -> SigningMaterial:
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs12

    try:
        bundle = pkcs12.load_pkcs12(path.read_bytes(), password.encode() or None)
    except ValueError as exc:
        raise ImproperlyConfigured(f"REPORT_SIGNING_PKCS12 {path}: {exc}") from None
    if bundle.cert is None or bundle.key is None:
        raise ImproperlyConfigured(f"REPORT_SIGNING_PKCS12 {path} holds no key and certificate.")
    chain = tuple(c.certificate.public_bytes(Encoding.PEM) for c in bundle.additional_certs)
    for extra in chain_paths:
        chain += _split_pem(extra.read_bytes())
    return SigningMaterial(
        cert_pem=bundle.cert.certificate.public_bytes(Encoding.PEM),
        chain_pem=chain,
        chain_paths=chain_paths,
        pkcs12_path=path,
        pkcs12_password=password,
    )


def material() -> SigningMaterial:
    """The configured signing material, or the generated local default."""
    key = settings.REPORT_SIGNING_KEY
    cert = settings.REPORT_SIGNING_CERT
    pkcs12 = settings.REPORT_SIGNING_PKCS12
    chain_setting = settings.REPORT_SIGNING_CHAIN
    if bool(key) != bool(cert):
        raise ImproperlyConfigured("Set both REPORT_SIGNING_KEY and REPORT_SIGNING_CERT, or none.")
    if key and pkcs12:
        raise ImproperlyConfigured(
            "Set REPORT_SIGNING_KEY/CERT or REPORT_SIGNING_PKCS12, not both."
        )
    chain_paths = (_existing(chain_setting, "REPORT_SIGNING_CHAIN"),) if chain_setting else ()
    if pkcs12:
        found = _pkcs12_material(
            _existing(pkcs12, "REPORT_SIGNING_PKCS12"),
            settings.REPORT_SIGNING_PKCS12_PASSWORD,
            chain_paths,
        )
    else:
        if key:
            key_path = _existing(key, "REPORT_SIGNING_KEY")
            cert_path = _existing(cert, "REPORT_SIGNING_CERT")
        else:
            folder = default_folder()
            key_path, cert_path = folder / "signing-key.pem", folder / "signing-cert.pem"
            if not folder.is_dir():
                _generate_local_ca_and_leaf(folder)
            chain_paths = (folder / "ca-cert.pem",)
        found = SigningMaterial(
            cert_pem=cert_path.read_bytes(),
            chain_pem=tuple(c for p in chain_paths for c in _split_pem(p.read_bytes())),
            key_path=key_path,
            cert_path=cert_path,
            chain_paths=chain_paths,
            key_password=settings.REPORT_SIGNING_KEY_PASSWORD,
        )
    problems = document_signing_problems(found.cert_pem)
    if problems:
        raise ImproperlyConfigured(
            "The report signing certificate is not a document-signing certificate: "
            + "; ".join(problems)
            + "."
        )
    return found


def _certificates(pems: tuple[bytes, ...]) -> list[Any]:
    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509

    return [asn1_x509.Certificate.load(pem.unarmor(one)[2]) for one in pems]


def tsa_trust_roots() -> list[Any]:
    path = settings.REPORT_TSA_TRUST
    if not path:
        return []
    return _certificates(_split_pem(_existing(path, "REPORT_TSA_TRUST").read_bytes()))


def validation_context(found: SigningMaterial, *, fetching: bool = False) -> Any:
    """Trust this deployment's roots and the time-stamping authority's roots only."""
    from pyhanko_certvalidator import ValidationContext

    roots = _certificates(found.trust_roots_pem) + tsa_trust_roots()
    return ValidationContext(
        trust_roots=roots,
        other_certs=_certificates(found.chain_pem),
        allow_fetching=fetching,
        revocation_mode="soft-fail",
    )


@lru_cache(maxsize=4)
def _signer(found: SigningMaterial, mtime: float) -> Any:
    return found.signer()


def _mtime(found: SigningMaterial) -> float:
    path = found.pkcs12_path or found.cert_path
    return path.stat().st_mtime if path is not None else 0.0


def _keep_pdfa_consistent(writer: Any) -> None:
    """The signing revision keeps the document PDF/A-3b: pyHanko writes its own name as
    the XMP producer and appends it to the document-information producer, and stamps
    both modification dates from separate clock reads. Give both the same producer and
    the same dates to the second, and list the embedded data file once in /AF (the
    renderer lists it twice)."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.metadata import model

    try:
        info = writer.trailer["/Info"]
    except KeyError:
        info = None
    if info is not None:
        info["/Producer"] = generic.TextStringObject(model.VENDOR)
        try:
            writer.document_meta.created = generic.parse_pdf_date(str(info["/CreationDate"]))
        except (KeyError, ValueError):
            pass
    writer.document_meta.last_modified = dt.datetime.now(dt.UTC).replace(microsecond=0)
    files = writer.root.get("/AF")
    if files is not None:
        unique: list[Any] = []
        for entry in files:
            key = entry.reference if isinstance(entry, generic.IndirectObject) else entry
            if all(
                key != (e.reference if isinstance(e, generic.IndirectObject) else e) for e in unique
            ):
                unique.append(entry)
        if len(unique) != len(files):
            writer.root["/AF"] = generic.ArrayObject(unique)
            writer.update_root()


def sign_pdf(data: bytes, *, reason: str, location: str = "RiskHub") -> bytes:
    """Sign `data` (the final PDF) and return the signed bytes: PAdES B-B, or B-T with a
    timestamp from REPORT_TSA_URL, and B-LT (validation data added) with REPORT_SIGNING_LTV."""
    out = io.BytesIO()
    _sign(io.BytesIO(data), out, reason=reason, location=location)
    return out.getvalue()


def sign_file(source: Path, target: Path, *, reason: str, location: str = "RiskHub") -> None:
    """sign_pdf from a file to a file: pyHanko reads the source as it needs it and copies
    it to the target in blocks, so an 84 MiB register is never whole in memory."""
    with source.open("rb") as unsigned, target.open("w+b") as signed:
        _sign(unsigned, signed, reason=reason, location=location)


def _sign(source: IO[bytes], target: IO[bytes], *, reason: str, location: str) -> None:
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter
    from pyhanko.sign.signers.pdf_signer import DSSContentSettings, SigDSSPlacementPreference
    from pyhanko.sign.timestamps import HTTPTimeStamper

    found = material()
    signer = _signer(found, _mtime(found))
    tsa_url = settings.REPORT_TSA_URL
    timestamper = (
        HTTPTimeStamper(tsa_url, timeout=settings.REPORT_TSA_TIMEOUT_SECONDS) if tsa_url else None
    )
    ltv = bool(tsa_url) and settings.REPORT_SIGNING_LTV
    if ltv and not settings.REPORT_TSA_TRUST:
        raise ImproperlyConfigured(
            "REPORT_SIGNING_LTV needs REPORT_TSA_TRUST: the time-stamping authority's root "
            "certificate(s), to validate the timestamp's chain."
        )
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        subfilter=SigSeedSubFilter.PADES,
        reason=reason[:200],
        location=location,
        md_algorithm="sha256",
        embed_validation_info=ltv,
        # A real CA's certificates name where their revocation data is: fetch it then.
        validation_context=validation_context(found, fetching=True) if ltv else None,
        # B-LT in the signed revision itself: the signature then covers the whole file,
        # and a verifier needs no analysis of later revisions.
        dss_settings=DSSContentSettings(
            placement=SigDSSPlacementPreference.TOGETHER_WITH_SIGNATURE,
            include_vri=False,
        ),
    )

    def work() -> None:
        writer = IncrementalPdfFileWriter(source)
        _keep_pdfa_consistent(writer)
        signers.sign_pdf(writer, meta, signer=signer, timestamper=timestamper, output=target)

    _off_loop(work)


@dataclass(frozen=True)
class SignatureCheck:
    present: bool
    intact: bool
    by_this_deployment: bool
    signer: str
    signed_at: dt.datetime | None
    covers_whole_file: bool
    message: str
    trusted: bool = False
    timestamped: bool = False
    timestamp_at: dt.datetime | None = None
    timestamp_valid: bool = False
    long_term_data: bool = False

    @property
    def valid(self) -> bool:
        """Green: the bytes are those signed, by this deployment's certificate, validated
        up to its trust root, and nothing but validation data was added since."""
        return (
            self.present
            and self.intact
            and self.trusted
            and self.by_this_deployment
            and self.covers_whole_file
        )

    @property
    def altered(self) -> bool:
        """The file was changed after it was signed."""
        return self.present and (not self.intact or not self.covers_whole_file)


def _validation_data_only() -> Any:
    """pyHanko's diff policy without its metadata and form allowances: after the signed
    revision, only validation data (the DSS) may be added. A changed title in the
    document information or XMP counts as an alteration."""
    from pyhanko.sign.diff_analysis import (
        CatalogModificationRule,
        DSSCompareRule,
        ModificationLevel,
        ObjectStreamRule,
        StandardDiffPolicy,
        XrefStreamRule,
    )

    level = ModificationLevel.LTA_UPDATES
    return StandardDiffPolicy(
        global_rules=[
            CatalogModificationRule(),
            XrefStreamRule().as_qualified(level),
            ObjectStreamRule().as_qualified(level),
            DSSCompareRule().as_qualified(level),
        ],
        form_rule=None,
    )


END_OF_FILE = (b"%%EOF", b"%%EOF\n", b"%%EOF\r\n")


def _covers(status: Any, data: bytes) -> bool:
    """The signature covers the file, or only validation data (DSS) follows it; and no
    bytes follow the last end-of-file marker."""
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    if not data.endswith(END_OF_FILE):
        return False
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return True
    return bool(
        status.coverage == SignatureCoverageLevel.ENTIRE_REVISION
        and status.modification_level == ModificationLevel.LTA_UPDATES
    )


def check_signature(data: bytes) -> SignatureCheck:
    """Validate the PDF's last signature against this deployment's trust roots: intact
    (the bytes are those signed), made with this deployment's certificate, covering the
    whole file (nothing but validation data appended since), and its timestamp."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception as exc:  # noqa: BLE001 - any parse failure means "not a PDF we know"
        return SignatureCheck(False, False, False, "", None, False, f"Not a readable PDF: {exc}")
    if not signatures:
        return SignatureCheck(False, False, False, "", None, False, "The PDF carries no signature.")
    found = material()
    context = validation_context(found)
    signature = signatures[-1]
    try:
        status = _off_loop(
            lambda: validate_pdf_signature(signature, context, diff_policy=_validation_data_only())
        )
    except Exception as exc:  # noqa: BLE001
        return SignatureCheck(True, False, False, "", None, False, f"Validation failed: {exc}")
    signer_cert = status.signing_cert
    by_us = signer_cert is not None and (
        hashlib.sha256(signer_cert.dump()).hexdigest() == found.fingerprint
    )
    whole = _covers(status, data)
    signer = signer_cert.subject.human_friendly if signer_cert is not None else ""
    stamp = status.timestamp_validity
    try:
        dss = "/DSS" in reader.root
    except Exception:  # noqa: BLE001
        dss = False
    if not status.intact:
        message = "The signature is broken: the file was changed after signing."
    elif not whole:
        message = "The signature is intact but content was appended after signing."
    elif not by_us:
        message = "Signed, but not with this RiskHub deployment's certificate."
    elif not status.trusted:
        message = "Signed with this deployment's certificate, but its chain does not validate."
    else:
        message = "The signature is intact and was made by this RiskHub deployment."
    return SignatureCheck(
        present=True,
        intact=bool(status.intact),
        by_this_deployment=by_us,
        signer=signer,
        signed_at=stamp.timestamp if stamp is not None else status.signer_reported_dt,
        covers_whole_file=whole,
        message=message,
        trusted=bool(status.trusted),
        timestamped=stamp is not None,
        timestamp_at=stamp.timestamp if stamp is not None else None,
        timestamp_valid=bool(stamp is not None and stamp.intact and stamp.valid and stamp.trusted),
        long_term_data=dss,
    )
