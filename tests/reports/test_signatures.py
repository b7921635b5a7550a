"""Signatures an outsider can check: the certificate (generated or the organisation's),
RFC 3161 timestamps from a TSA served on loopback, B-LT validation data, the fingerprint
printed on each report and published, and the public check page and API."""

from __future__ import annotations

import io
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from riskhub.accounts.policy import Role
from riskhub.reports import pdf, signing
from riskhub.reports.models import Report
from tests.reports.tsa import asn1, configured_tsa, issue, serve_tsa

SMALL_HTML = "<html><head><title>Signed</title></head><body><p>Signed text</p></body></html>"


@pytest.fixture(autouse=True)
def _fresh_throttle() -> None:
    cache.clear()


@pytest.fixture
def own_var(settings: Any, tmp_path: Path) -> Path:
    """A VAR_DIR of this test's own, so the default material is generated here."""
    settings.VAR_DIR = tmp_path / "var"
    return settings.VAR_DIR


def _org_pki(*, leaf_ca: bool = False, code_signing: bool = False) -> dict[str, Any]:
    """An organisation's CA and a certificate it issued."""
    ca = issue("Example Corp Issuing CA", ca=True, days=90)
    leaf = issue(
        "Example Corp document signing",
        by=ca,
        ca=leaf_ca,
        eku=[ExtendedKeyUsageOID.CODE_SIGNING] if code_signing else None,
    )
    return {"ca": ca.cert, "key": leaf.key, "cert": leaf.cert}


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _signed_small_pdf() -> bytes:
    unsigned, _ = pdf.render_pdf(SMALL_HTML, data_json=b"{}")
    return signing.sign_pdf(unsigned, reason="test")


def _pyhanko_status(data: bytes, roots: list[asn1_x509.Certificate]) -> Any:
    reader = PdfFileReader(io.BytesIO(data), strict=False)
    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    # Off any event loop a browser test's Playwright left running in this process.
    return signing._off_loop(
        lambda: validate_pdf_signature(reader.embedded_signatures[-1], context)
    )


def _tampered(data: bytes) -> bytes:
    """One bit changed inside the first stream: the file still parses, its bytes differ."""
    index = data.index(b"stream") + 40
    return data[:index] + bytes([data[index] ^ 1]) + data[index + 1 :]


# --- the certificate ----------------------------------------------------------------


def test_the_generated_default_is_a_document_signing_leaf_under_a_local_ca(own_var: Path) -> None:
    found = signing.material()
    cert = x509.load_pem_x509_certificate(found.cert_pem)
    ca = x509.load_pem_x509_certificate(found.chain_pem[0])
    basic = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert basic.ca is False
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    with pytest.raises(x509.ExtensionNotFound):
        cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)  # no code signing
    assert cert.issuer == ca.subject != cert.subject
    cert.verify_directly_issued_by(ca)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    # The CA's private key is not kept: only the leaf's key, the leaf and the CA cert.
    folder = signing.default_folder()
    assert sorted(p.name for p in folder.iterdir()) == [
        "ca-cert.pem",
        "signing-cert.pem",
        "signing-key.pem",
    ]
    assert (folder / "signing-key.pem").stat().st_mode & 0o077 == 0
    # A second call reads the same material instead of making another.
    assert signing.material().fingerprint == found.fingerprint


def test_two_workers_generating_at_once_keep_one_consistent_set(own_var: Path) -> None:
    folder = signing.default_folder()
    signing._generate_local_ca_and_leaf(folder)
    first = signing.material()
    signing._generate_local_ca_and_leaf(folder)  # the later one loses the rename
    assert signing.material() == first
    assert sorted(p.name for p in folder.parent.iterdir()) == ["local-ca"]
    leaf = x509.load_pem_x509_certificate(first.cert_pem)
    leaf.verify_directly_issued_by(x509.load_pem_x509_certificate(first.chain_pem[0]))


def test_a_signature_validates_with_pyhanko_against_the_local_ca_as_trust_root(
    own_var: Path,
) -> None:
    signed = _signed_small_pdf()
    ca = x509.load_pem_x509_certificate(signing.material().chain_pem[0])
    status = _pyhanko_status(signed, [asn1(ca)])
    assert status.bottom_line, status.pretty_print_details()
    # A verifier who trusts some other root does not trust it.
    stranger = _org_pki()["ca"]
    assert not _pyhanko_status(signed, [asn1(stranger)]).trusted


def test_the_organisations_pkcs12_signs_and_validates_against_its_ca(
    settings: Any, tmp_path: Path
) -> None:
    pki = _org_pki()
    bundle = tmp_path / "signing.p12"
    bundle.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"signing",
            pki["key"],
            pki["cert"],
            [pki["ca"]],
            serialization.BestAvailableEncryption(b"s3cret"),
        )
    )
    settings.REPORT_SIGNING_PKCS12 = str(bundle)
    settings.REPORT_SIGNING_PKCS12_PASSWORD = "s3cret"
    signed = _signed_small_pdf()
    status = _pyhanko_status(signed, [asn1(pki["ca"])])
    assert status.bottom_line and status.signing_cert.subject == asn1(pki["cert"]).subject
    check = signing.check_signature(signed)
    assert check.valid and "Example Corp document signing" in check.signer
    assert signing.material().fingerprint == pki["cert"].fingerprint(hashes.SHA256()).hex()


def test_the_organisations_pem_files_with_an_encrypted_key_and_a_chain(
    settings: Any, tmp_path: Path
) -> None:
    pki = _org_pki()
    (tmp_path / "key.pem").write_bytes(
        pki["key"].private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"pw"),
        )
    )
    (tmp_path / "cert.pem").write_bytes(_pem(pki["cert"]))
    (tmp_path / "chain.pem").write_bytes(_pem(pki["ca"]))
    settings.REPORT_SIGNING_KEY = str(tmp_path / "key.pem")
    settings.REPORT_SIGNING_CERT = str(tmp_path / "cert.pem")
    settings.REPORT_SIGNING_KEY_PASSWORD = "pw"
    settings.REPORT_SIGNING_CHAIN = str(tmp_path / "chain.pem")
    signed = _signed_small_pdf()
    assert _pyhanko_status(signed, [asn1(pki["ca"])]).bottom_line
    assert signing.check_signature(signed).valid
    assert signing.material().bundle_pem == _pem(pki["cert"]) + _pem(pki["ca"])


@pytest.mark.parametrize(
    ("shape", "reason"),
    [({"leaf_ca": True}, "CA certificate"), ({"code_signing": True}, "code signing")],
)
def test_a_ca_or_code_signing_certificate_is_refused(
    settings: Any, tmp_path: Path, shape: dict[str, bool], reason: str
) -> None:
    pki = _org_pki(**shape)
    (tmp_path / "key.pem").write_bytes(
        pki["key"].private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (tmp_path / "cert.pem").write_bytes(_pem(pki["cert"]))
    settings.REPORT_SIGNING_KEY = str(tmp_path / "key.pem")
    settings.REPORT_SIGNING_CERT = str(tmp_path / "cert.pem")
    with pytest.raises(ImproperlyConfigured, match=reason):
        signing.material()


# --- trusted time and long-term validation ------------------------------------------


def test_a_report_carries_a_timestamp_from_the_tsa_and_b_lt_validation_data(
    world: Any, render: Any, settings: Any, tmp_path: Path
) -> None:
    with configured_tsa(settings, tmp_path) as tsa:
        report = render("executive-summary")
        assert report.status == Report.Status.SUCCEEDED, report.error
        assert tsa.requests, "the TSA was never asked"
    with report.file.open("rb") as handle:
        data = handle.read()
    check = signing.check_signature(data)
    assert check.valid and check.timestamped and check.timestamp_valid, check
    assert check.long_term_data
    tsa_root = asn1_x509.Certificate.load(
        x509.load_pem_x509_certificate(tsa.root_pem.read_bytes()).public_bytes(
            serialization.Encoding.DER
        )
    )
    local_ca = asn1(x509.load_pem_x509_certificate(signing.material().chain_pem[0]))
    status = _pyhanko_status(data, [local_ca, tsa_root])
    assert status.bottom_line
    stamp = status.timestamp_validity
    assert stamp is not None and stamp.trusted
    assert abs((stamp.timestamp - report.finished_at).total_seconds()) < 120
    # PAdES B-LT: the document security store holds both chains, in the signed revision.
    root = PdfReader(io.BytesIO(data)).trailer["/Root"]
    certs = [c.get_object().get_data() for c in root["/DSS"]["/Certs"]]
    assert local_ca.dump() in certs and tsa_root.dump() in certs
    assert status.coverage.name == "ENTIRE_FILE"


def test_without_ltv_the_signature_is_timestamped_but_has_no_dss(
    own_var: Path, settings: Any, tmp_path: Path
) -> None:
    with configured_tsa(settings, tmp_path):
        settings.REPORT_SIGNING_LTV = False
        signed = _signed_small_pdf()
    check = signing.check_signature(signed)
    assert check.valid and check.timestamp_valid and not check.long_term_data
    assert "/DSS" not in PdfReader(io.BytesIO(signed)).trailer["/Root"]


def test_a_timestamp_from_an_untrusted_authority_is_reported_as_such(
    own_var: Path, settings: Any, tmp_path: Path
) -> None:
    with serve_tsa(tmp_path) as tsa:
        settings.REPORT_TSA_URL = tsa.url
        # Long-term validation data needs the TSA's root: refused clearly without it.
        with pytest.raises(ImproperlyConfigured, match="REPORT_TSA_TRUST"):
            _signed_small_pdf()
        settings.REPORT_SIGNING_LTV = False
        signed = _signed_small_pdf()
    check = signing.check_signature(signed)
    assert check.valid and check.timestamped and not check.timestamp_valid


def test_without_a_tsa_there_is_no_timestamp(own_var: Path) -> None:
    check = signing.check_signature(_signed_small_pdf())
    assert check.valid and not check.timestamped and not check.long_term_data


# --- the fingerprint, printed and published -----------------------------------------


def test_the_fingerprint_printed_on_the_report_equals_the_published_one(
    world: Any, render: Any, client_for: Any, tmp_path: Path
) -> None:
    report = render("risk-register")
    with report.file.open("rb") as handle:
        (tmp_path / "r.pdf").write_bytes(handle.read())
    text = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "r.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    anonymous = client_for(None)
    page = anonymous.get(reverse("reports:signing_certificate"))
    assert page.status_code == 200
    published = re.search(r'id="fingerprint">([0-9A-F ]+)<', page.content.decode())
    assert published, page.content.decode()[:2000]
    printed = re.search(r"Signing certificate SHA-256\s+((?:[0-9A-F]{8}\s+){7}[0-9A-F]{8})", text)
    assert printed, text[-3000:]
    assert printed.group(1).split() == published.group(1).split()
    assert "".join(printed.group(1).split()).lower() == report.signer_fingerprint
    # The PEM downloads are the certificate the report was signed with, and its chain.
    cert = anonymous.get(reverse("reports:signing_certificate_pem", args=["certificate"]))
    assert cert["Content-Type"] == "application/x-pem-file"
    loaded = x509.load_pem_x509_certificate(cert.content)
    assert loaded.fingerprint(hashes.SHA256()).hex() == report.signer_fingerprint
    chain = anonymous.get(reverse("reports:signing_certificate_pem", args=["chain"])).content
    assert chain.count(b"BEGIN CERTIFICATE") == 2
    api = anonymous.get(reverse("api:report-signing-certificate")).json()
    assert api["fingerprint_sha256"] == report.signer_fingerprint
    assert anonymous.get("/reports/signing-certificate/other.pem").status_code == 404


# --- the public check page and API --------------------------------------------------


def _report_bytes(render: Any) -> tuple[Report, bytes]:
    report = render("framework-compliance", framework="eu-ai-act")
    with report.file.open("rb") as handle:
        return report, handle.read()


def _headline(html: str) -> str:
    found = re.search(r'<div class="alert alert-(\w+)[^"]*"[^>]*>\s*<h2[^>]*>([^<]+)</h2>', html)
    assert found, html
    return f"{found.group(1)}:{found.group(2).strip()}"


def test_the_public_page_says_intact_altered_or_unknown_without_a_login(
    world: Any, render: Any, client_for: Any
) -> None:
    report, data = _report_bytes(render)
    client = client_for(None)
    assert client.get(reverse("reports:public_verify")).status_code == 200

    def check(name: str, content: bytes) -> str:
        response = client.post(
            reverse("reports:public_verify"), {"file": SimpleUploadedFile(name, content)}
        )
        assert response.status_code == 200
        return response.content.decode()

    intact = check("report.pdf", data)
    assert _headline(intact) == "success:Intact"
    assert report.title in intact and "whole organisation" in intact
    assert report.finished_at.strftime("%Y-%m-%d") in intact
    assert world.officer.email not in intact  # nothing beyond title, scope and date

    altered = check("report.pdf", _tampered(data))
    assert _headline(altered) == "danger:Altered after signing"
    assert report.title not in altered

    unsigned, _ = pdf.render_pdf(SMALL_HTML, data_json=b"{}")
    unknown = check("other.pdf", unsigned)
    assert _headline(unknown) == "secondary:Unknown"


def test_the_public_api_answers_the_same_three_outcomes(
    world: Any, render: Any, client_for: Any
) -> None:
    report, data = _report_bytes(render)
    client = client_for(None)
    url = reverse("api:report-public-verify")

    def post(content: bytes) -> dict[str, Any]:
        response = client.post(url, {"file": SimpleUploadedFile("r.pdf", content)})
        assert response.status_code == 200, response.content
        return response.json()  # type: ignore[no-any-return]

    intact = post(data)
    assert intact["result"] == "intact" and intact["label"] == "Intact"
    assert intact["report"]["title"] == report.title
    assert intact["report"]["scope"] == "whole organisation"
    assert intact["report"]["issued_at"].startswith(report.finished_at.strftime("%Y-%m-%d"))
    assert set(intact) == {"result", "label", "report", "signed_at", "timestamped"}

    altered = post(_tampered(data))
    assert altered == {**altered, "result": "altered", "label": "Altered after signing"}
    assert altered["report"] is None
    assert post(data + b"% appended after signing\n")["result"] == "altered"
    unsigned, _ = pdf.render_pdf(SMALL_HTML, data_json=b"{}")
    assert post(unsigned)["result"] == "unknown"


def test_the_public_check_refuses_non_pdfs_and_oversized_files(
    world: Any, client_for: Any, settings: Any
) -> None:
    client = client_for(None)
    api = client.post(
        reverse("api:report-public-verify"),
        {"file": SimpleUploadedFile("r.pdf", b"MZ\x90\x00 not a pdf")},
    )
    assert api.status_code == 400
    assert api.json()["error"]["fields"]["file"] == ["The file is not a PDF."], api.json()
    page = client.post(
        reverse("reports:public_verify"), {"file": SimpleUploadedFile("r.pdf", b"hello")}
    )
    assert page.status_code == 400 and "The file is not a PDF." in page.content.decode()
    settings.REPORT_PUBLIC_VERIFY_MAX_BYTES = 1024
    big = client.post(
        reverse("api:report-public-verify"),
        {"file": SimpleUploadedFile("r.pdf", b"%PDF-1.7\n" + b"0" * 2048)},
    )
    assert big.status_code == 400 and "larger than" in big.content.decode()
    missing = client.post(reverse("api:report-public-verify"), {})
    assert missing.status_code == 400 and set(missing.json()) == {"error"}


def test_the_public_check_is_throttled_per_client(
    world: Any, client_for: Any, settings: Any
) -> None:
    settings.REPORT_PUBLIC_VERIFY_RATE = "2/hour"
    client = client_for(None)
    upload = b"%PDF-1.7\nnot really\n%%EOF\n"
    api = reverse("api:report-public-verify")
    page = reverse("reports:public_verify")
    assert client.post(api, {"file": SimpleUploadedFile("a.pdf", upload)}).status_code == 200
    assert client.post(page, {"file": SimpleUploadedFile("a.pdf", upload)}).status_code == 200
    refused = client.post(api, {"file": SimpleUploadedFile("a.pdf", upload)})
    assert refused.status_code == 429 and set(refused.json()) == {"error"}
    again = client.post(page, {"file": SimpleUploadedFile("a.pdf", upload)})
    assert again.status_code == 429 and "Too many checks" in again.content.decode()
    # Another client address is not held back.
    other = client.post(api, {"file": SimpleUploadedFile("a.pdf", upload)}, REMOTE_ADDR="192.0.2.7")
    assert other.status_code == 200


def test_switched_off_the_public_check_answers_404(
    world: Any, client_for: Any, settings: Any
) -> None:
    settings.REPORT_PUBLIC_VERIFY = False
    client = client_for(None)
    assert client.get(reverse("reports:public_verify")).status_code == 404
    upload = SimpleUploadedFile("r.pdf", b"%PDF-1.7\n%%EOF\n")
    assert client.post(reverse("reports:public_verify"), {"file": upload}).status_code == 404
    response = client.post(
        reverse("api:report-public-verify"), {"file": SimpleUploadedFile("r.pdf", b"%PDF-")}
    )
    assert response.status_code == 404 and set(response.json()) == {"error"}


def test_the_signed_in_page_uses_the_same_rule_and_is_never_green_for_a_broken_file(
    world: Any, render: Any, client_for: Any
) -> None:
    _, data = _report_bytes(render)
    client = client_for(Role.AUDITOR)

    def headline(content: bytes) -> str:
        response = client.post(
            reverse("reports:verify"), {"file": SimpleUploadedFile("r.pdf", content)}
        )
        return _headline(response.content.decode())

    assert headline(data) == "success:Intact"
    assert headline(_tampered(data)) == "danger:Altered after signing"
    assert headline(b"%PDF-1.7\nnothing\n") == "secondary:Unknown"
