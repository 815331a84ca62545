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


def test_a_silent_connection_does_not_stall_other_https_clients(tmp_path):
    """A phone that opens a connection and says nothing must not hold up the till."""
    import socket
    import ssl
    import threading
    import time

    from cheroot import wsgi

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["wsgi.url_scheme"].encode()]

    files = tls.ensure_certificates(tmp_path / "tls", "till-1", ["localhost", "127.0.0.1"])
    server = wsgi.Server(("127.0.0.1", 0), app, numthreads=8, server_name="tillbox")
    server.ssl_adapter = tls.lazy_handshake_adapter(files.cert, files.key)
    server.prepare()
    port = server.bind_addr[1]
    threading.Thread(target=server.serve, daemon=True).start()
    silent = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
    try:
        time.sleep(0.2)
        ctx = ssl.create_default_context(cafile=str(files.ca_cert))
        with socket.create_connection(("127.0.0.1", port), timeout=4) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                reply = b""
                while chunk := s.recv(4096):
                    reply += chunk
        # The 4 s timeout is far below the 10 s per silent socket the stall used to cost.
        assert reply.startswith(b"HTTP/1.1 200") and b"\r\nhttps\r\n" in reply
    finally:
        for s in silent:
            s.close()
        server.stop()
