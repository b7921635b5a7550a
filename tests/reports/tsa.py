"""An RFC 3161 time-stamping authority the tests serve on loopback, over real HTTP.

Its root and TSA certificates are made here (cryptography); the tokens are signed by
pyHanko's DummyTimeStamper (RSA only), which answers a TimeStampReq as a TSA does. Nothing leaves
127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from asn1crypto import keys, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign.timestamps import DummyTimeStamper

MAX_REQUEST = 64 * 1024


@dataclass
class LoopbackTSA:
    url: str
    root_pem: Path
    requests: list[bytes]


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


@dataclass
class Issued:
    cert: x509.Certificate
    key: Any


def issue(
    common: str,
    *,
    by: Issued | None = None,
    ca: bool = False,
    eku: list[Any] | None = None,
    days: int = 30,
) -> Issued:
    """A test certificate (RSA 2048): a self-signed root when `by` is None. A CA may
    sign certificates; anything else gets digitalSignature and nonRepudiation."""
    now = dt.datetime.now(dt.UTC)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common))
        .issuer_name(by.cert.subject if by else _name(common))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(not ca, not ca, False, False, False, ca, ca, False, False), critical=True
        )
    )
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=True)
    return Issued(builder.sign(by.key if by else key, hashes.SHA256()), key)


def asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


@contextmanager
def serve_tsa(folder: Path) -> Iterator[LoopbackTSA]:
    root = issue("Test TSA root", ca=True)
    tsa = issue("Test TSA", by=root, eku=[ExtendedKeyUsageOID.TIME_STAMPING])
    stamper = DummyTimeStamper(
        tsa_cert=asn1(tsa.cert),
        tsa_key=keys.PrivateKeyInfo.load(
            tsa.key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ),
        certs_to_embed=[asn1(root.cert)],
    )
    seen: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            if self.headers.get("Content-Type") != "application/timestamp-query" or not (
                0 < length <= MAX_REQUEST
            ):
                self.send_error(400, "Send one application/timestamp-query")
                return
            body = self.rfile.read(length)
            seen.append(body)
            answer = stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    root_pem = folder / "tsa-root.pem"
    root_pem.write_bytes(root.cert.public_bytes(serialization.Encoding.PEM))
    try:
        yield LoopbackTSA(f"http://127.0.0.1:{server.server_address[1]}/tsa", root_pem, seen)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def configured_tsa(settings: Any, folder: Path) -> Iterator[LoopbackTSA]:
    """The loopback TSA, named in REPORT_TSA_URL with its root in REPORT_TSA_TRUST."""
    with serve_tsa(folder) as tsa:
        settings.REPORT_TSA_URL = tsa.url
        settings.REPORT_TSA_TRUST = str(tsa.root_pem)
        yield tsa
