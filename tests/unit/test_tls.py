"""The box's local CA and HTTPS certificate."""

import stat

from cryptography import x509

from services import tls


def load(path):
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_first_start_makes_a_ca_and_a_server_certificate_it_signed(tmp_path):
    files = tls.ensure_certificates(tmp_path / "tls", "till-1",
                                    ["localhost", "127.0.0.1", "till-1.local", "192.168.8.20"])
    ca, server = load(files.ca_cert), load(files.cert)
    server.verify_directly_issued_by(ca)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    san = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(san.get_values_for_type(x509.DNSName)) == {"localhost", "till-1.local"}
    assert {str(a) for a in san.get_values_for_type(x509.IPAddress)} == \
        {"127.0.0.1", "192.168.8.20"}
    assert (server.not_valid_after_utc - server.not_valid_before_utc).days <= 825
    for key in (tmp_path / "tls" / "ca.key", files.key):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_certificates_are_reused_until_the_names_change(tmp_path):
    first = tls.ensure_certificates(tmp_path, "till-1", ["localhost"])
    serial = load(first.cert).serial_number
    ca_serial = load(first.ca_cert).serial_number
    again = tls.ensure_certificates(tmp_path, "till-1", ["localhost"])
    assert load(again.cert).serial_number == serial
    moved = tls.ensure_certificates(tmp_path, "till-1", ["localhost", "10.0.0.7"])
    assert load(moved.cert).serial_number != serial
    assert load(moved.ca_cert).serial_number == ca_serial  # phones keep trusting the box
    load(moved.cert).verify_directly_issued_by(load(moved.ca_cert))


def test_box_names_include_loopback_and_extra_names():
    names = tls.box_names("till.example, 10.1.2.3")
    assert names[:2] == ["localhost", "127.0.0.1"]
    assert "till.example" in names and "10.1.2.3" in names
    assert len(names) == len({n.lower() for n in names})
