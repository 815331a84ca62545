"""core with HTTPS on: a certificate from the box's own CA, HTTP offering only the CA and
redirecting, and Secure cookies over HTTPS (a real `tillbox core` process)."""

import http.client
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def core(tmp_path):
    http_port, https_port = free_port(), free_port()
    cfg = tmp_path / "t.toml"
    cfg.write_text(f'[paths]\ndata = "data"\n[web]\nport = {http_port}\n'
                   f'https_port = {https_port}\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILLBOX_")}
    subprocess.run([sys.executable, "-m", "appliance.cli", "--config", str(cfg), "demo", "load"],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    proc = subprocess.Popen([sys.executable, "-m", "appliance.cli", "--config", str(cfg),
                             "core"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", https_port), timeout=1):
                with socket.create_connection(("127.0.0.1", http_port), timeout=1):
                    break
        except OSError:
            time.sleep(0.2)
    yield http_port, https_port, tmp_path / "data" / "tls" / "ca.crt"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0


def test_http_offers_the_ca_and_redirects_the_rest(core):
    http_port, https_port, _ = core
    conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
    conn.request("GET", "/phone?lang=en")
    r = conn.getresponse()
    r.read()
    assert r.status == 308
    assert r.getheader("Location") == f"https://127.0.0.1:{https_port}/phone?lang=en"
    conn.request("GET", "/ca.crt")
    r = conn.getresponse()
    pem = r.read()
    assert r.status == 200 and pem.startswith(b"-----BEGIN CERTIFICATE-----")
    conn.request("GET", "/ca")
    r = conn.getresponse()
    page = r.read().decode()
    assert r.status == 200 and "<svg" in page and f":{http_port}/ca.crt" in page
    conn.close()


def test_the_daemons_still_reach_core_over_plain_http_on_loopback(core):
    """printerd and scannerd use plain HTTP on loopback whether or not HTTPS is on."""
    from appliance.keys import device_token_path
    from services.daemon import CoreClient
    http_port, _https_port, ca = core
    token = device_token_path(ca.parent.parent).read_text().strip()
    client = CoreClient(f"http://127.0.0.1:{http_port}", token, "test")
    status, _body = client.call("GET", "/device/print-jobs/next")
    assert status == 204
    status, body = client.call("PUT", "/device/printer", {"ready": True, "reason": ""})
    assert status == 200 and body["printer"]["ready"] is True


def test_https_is_trusted_with_the_box_ca_and_cookies_are_secure(core):
    _, https_port, ca_file = core
    ctx = ssl.create_default_context(cafile=str(ca_file))
    # 127.0.0.1 is in the certificate as an address (a bare container may not resolve
    # "localhost").
    conn = http.client.HTTPSConnection("127.0.0.1", https_port, context=ctx, timeout=10)
    conn.request("GET", "/healthz")
    r = conn.getresponse()
    assert r.status == 200 and json.loads(r.read())["status"] == "ok"
    conn.request("POST", "/api/v1/auth/login", json.dumps({"pin": "1001"}),
                 {"Content-Type": "application/json"})
    r = conn.getresponse()
    r.read()
    assert r.status == 200 and "Secure" in r.getheader("Set-Cookie")
    conn.close()
    # Without the box's CA, the certificate is not trusted.
    with pytest.raises(ssl.SSLCertVerificationError):
        plain = http.client.HTTPSConnection("127.0.0.1", https_port,
                                            context=ssl.create_default_context(), timeout=10)
        plain.request("GET", "/healthz")
