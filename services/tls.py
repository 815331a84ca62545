"""The box's own certificate authority and HTTPS certificate.

Phones only allow the camera (barcode scanning) on a secure page, and the shop Wi-Fi carries
customers too, so core can serve HTTPS. No public CA can vouch for a box on a shop LAN, so
the box makes its own on first start: a local CA (10 years) whose certificate phones install
once from the /ca page, and a server certificate (about two years, the most iOS accepts)
for the box's names and addresses, renewed when they change or when it nears its end.
Keys are EC P-256 (fast on a Pi) and readable only by the service user.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

log = logging.getLogger(__name__)

CA_DAYS = 3650
SERVER_DAYS = 820          # under the 825 days iOS accepts for a server certificate
RENEW_BEFORE_DAYS = 30


@dataclass(frozen=True)
class TlsFiles:
    ca_cert: Path
    cert: Path
    key: Path


def lan_addresses() -> list[str]:
    """The box's own IPv4 addresses (phones type the Wi-Fi one). ``hostname -I`` lists every
    interface's; resolving the host name often gives only Debian's 127.0.1.1."""
    import subprocess
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True,
                             timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        out = ""
    found = [a for a in out.split() if "." in a]
    if not found:
        try:
            found = socket.gethostbyname_ex(socket.gethostname())[2]
        except OSError:
            pass
    return found


def box_names(extra: str = "") -> list[str]:
    """DNS names and IP addresses the server certificate must cover."""
    names = ["localhost", "127.0.0.1", socket.gethostname(), f"{socket.gethostname()}.local"]
    names += lan_addresses()
    names += [n.strip() for n in extra.split(",") if n.strip()]
    seen, out = set(), []
    for n in names:
        if n and n.lower() not in seen:
            seen.add(n.lower())
            out.append(n)
    return out


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _key_pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _san(names: list[str]) -> x509.SubjectAlternativeName:
    entries = []
    for n in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            entries.append(x509.DNSName(n))
    return x509.SubjectAlternativeName(entries)


def _make_ca(device_id: str):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tillbox"),
                      x509.NameAttribute(NameOID.COMMON_NAME, f"Tillbox {device_id} local CA")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=True,
                                         crl_sign=True, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def _make_server(ca_key, ca_cert, names: list[str]):
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
            .add_extension(_san(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def _needs_new_server_cert(path: Path, names: list[str]) -> bool:
    if not path.exists():
        return True
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    if cert.not_valid_after_utc - dt.datetime.now(dt.timezone.utc) < \
            dt.timedelta(days=RENEW_BEFORE_DAYS):
        return True
    have = {str(v.value) for v in cert.extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value}
    return not {str(v.value) for v in _san(names)} <= have


def ensure_certificates(directory: Path, device_id: str, names: list[str]) -> TlsFiles:
    """Create the CA once and a server certificate covering ``names``; reuse while valid."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o750)
    files = TlsFiles(directory / "ca.crt", directory / "server.crt", directory / "server.key")
    ca_key_path = directory / "ca.key"
    if not ca_key_path.exists() or not files.ca_cert.exists():
        ca_key, ca_cert = _make_ca(device_id)
        _write_private(ca_key_path, _key_pem(ca_key))
        files.ca_cert.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
        files.cert.unlink(missing_ok=True)  # signed by an old CA: make a new one
        log.info("created the box's local certificate authority in %s", directory)
    if _needs_new_server_cert(files.cert, names):
        ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), None)
        ca_cert = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
        key, cert = _make_server(ca_key, ca_cert, names)
        _write_private(files.key, _key_pem(key))
        files.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        log.info("issued an HTTPS certificate for %s", ", ".join(names))
    return files


def lazy_handshake_adapter(cert: Path, key: Path):
    """cheroot's TLS adapter, with the handshake moved off the connection-accepting thread.

    cheroot's built-in adapter shakes hands in the one thread that accepts connections, so a
    phone that connects and says nothing stalls every other HTTPS client for the socket
    timeout (cheroot issue 748). Here the handshake happens on the first read, in the worker
    thread that serves the connection.
    """
    from cheroot.ssl.builtin import BuiltinSSLAdapter

    class LazyHandshakeAdapter(BuiltinSSLAdapter):
        def wrap(self, sock):
            wrapped = self.context.wrap_socket(sock, do_handshake_on_connect=False,
                                               server_side=True)
            return wrapped, {"wsgi.url_scheme": "https", "HTTPS": "on"}

    return LazyHandshakeAdapter(str(cert), str(key))
