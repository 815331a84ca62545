"""The packaged appliance boots and works (issue 6): a Debian root file system built the way
the SD-card image is, with the package installed, booted under systemd-nspawn.

One boot, in order: every unit active, /healthz, first-boot setup through the setup API, a
sale through the API that lands in the ledger, each daemon SIGKILLed and restarted by systemd,
an upgrade to this tree's package from an older one (ledger, settings and a local config edit
kept), removal (services stopped, data kept), purge (data gone), power-off.
"""

from __future__ import annotations

import http.client
import json
import ssl
import time

import pytest

from loopback import free_port
from system_build import (OLDER_DEB, VERSION, copy_rootfs,  # noqa: F401 - fixtures
                          older_package, package, pristine_rootfs)
from nspawn_box import DAEMONS, NspawnBox  # noqa: E402 - system_build puts it on the path

TEA = "6901234567892"
OWNER_PIN = "246810"


def _unverified() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE   # the box's own certificate
    return ctx


class Api:
    """A phone or the counter talking to the box's core over HTTPS, as on the shop Wi-Fi
    (plain HTTP only redirects there, and serves /healthz)."""

    def __init__(self, port: int, https_port: int):
        self.port, self.https_port = port, https_port
        self.cookie = self.csrf = None

    def call(self, method: str, path: str, body=None, timeout: float = 10, *, plain=False):
        conn = (http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout) if plain
                else http.client.HTTPSConnection("127.0.0.1", self.https_port,
                                                 context=_unverified(), timeout=timeout))
        headers = {"Content-Type": "application/json", "Accept-Language": "en"}
        if self.cookie:
            headers.update({"Cookie": self.cookie, "X-CSRF-Token": self.csrf})
        try:
            conn.request(method, path, json.dumps(body) if body is not None else None, headers)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        try:
            parsed = json.loads(data or b"{}")
        except ValueError:
            parsed = {"text": data.decode("utf-8", "replace")}
        return resp.status, parsed, resp.getheader("Set-Cookie")

    def sign_in(self, pin: str) -> None:
        status, body, cookie = self.call("POST", "/api/v1/auth/login", {"pin": pin})
        assert status == 200, body
        self.cookie, self.csrf = cookie.split(";")[0], body["csrf_token"]

    def wait_healthy(self, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                status, body, _ = self.call("GET", "/healthz", timeout=2, plain=True)
                if status == 200:
                    return body
                last = (status, body)
            except OSError as exc:
                last = exc
            time.sleep(0.2)
        raise AssertionError(f"/healthz did not answer 200 within {timeout} s: {last}")


@pytest.fixture(scope="module")
def box(tmp_path_factory, pristine_rootfs):
    rootfs = copy_rootfs(pristine_rootfs, tmp_path_factory.mktemp("boot") / "rootfs")
    port, https_port = free_port(), free_port()
    b = NspawnBox(rootfs, {"TILLBOX_WEB__HOST": "127.0.0.1", "TILLBOX_WEB__PORT": str(port),
                           "TILLBOX_WEB__HTTPS_PORT": str(https_port)},
                  rootfs.parent / "nspawn.log")
    b.api = Api(port, https_port)
    b.boot()
    yield b
    b.kill()   # only if a test failed before the power-off test


def main_pid(box, unit: str) -> int:
    return int(box.unit_property(unit, "MainPID"))


def journal_records(box) -> list[dict]:
    out = box.run("runuser", "-u", "tillbox", "--", "tillbox", "ledger", "export").stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_every_unit_reaches_active_and_healthz_answers(box):
    # the nightly backup's timer is armed too (docs/backup.md)
    box.wait_active(DAEMONS + ("tillbox-firstboot", "tillbox-backup.timer",
                               "tillbox-rebuild.path"), timeout=120)
    box.api.wait_healthy()                                   # plain HTTP
    status, health, _ = box.api.call("GET", "/healthz")    # HTTPS: this box's own certificate
    assert status == 200, health
    # First boot: host name and device id from the board serial (here /etc/machine-id).
    hostname = box.run("hostname").stdout.strip()
    assert hostname.startswith("tillbox-") and len(hostname) == len("tillbox-") + 6
    setup = (box.rootfs / "var/lib/tillbox/setup.toml").read_text()
    assert f'device_id = "till-{hostname[-6:]}"' in setup


def test_first_boot_setup_then_a_sale_lands_in_the_ledger(box):
    api = box.api
    status, page, _ = api.call("GET", "/")
    assert status in (302, 303, 307, 308)                   # a new box leads to its setup
    status, page, _ = api.call("GET", "/setup")
    assert status == 200 and 'id="store_id"' in page["text"]
    code = (box.rootfs / "var/lib/tillbox/setup-code").read_text().strip()
    form = {"store_id": "hz-0012", "mqtt_host": "", "owner_name": "店主", "pin": OWNER_PIN,
            "pin_again": OWNER_PIN}
    status, body, _ = api.call("POST", "/api/v1/setup", {**form, "code": "0" * len(code)
                                                         if code != "0" * len(code) else "1"})
    assert status == 403 and body["field"] == "code"
    uplinkd = main_pid(box, "tillbox-uplinkd")
    status, body, _ = api.call("POST", "/api/v1/setup", {**form, "code": code})
    assert status == 200, body
    assert body["store_id"] == "hz-0012"
    # uplinkd saw setup.toml change and took the store id itself (no systemd unit restarts
    # it): it started itself again in the same process, now for the new store.
    deadline = time.monotonic() + 30
    while "uplinkd for store hz-0012" not in box.journal(("tillbox-uplinkd",), lines=200) \
            and time.monotonic() < deadline:
        time.sleep(0.5)
    log = box.journal(("tillbox-uplinkd",), lines=200)
    assert "uplinkd for store hz-0012" in log, log
    assert main_pid(box, "tillbox-uplinkd") == uplinkd, log
    assert box.unit_property("tillbox-uplinkd", "NRestarts") == "0", log
    api.sign_in(OWNER_PIN)
    status, product, _ = api.call("POST", "/api/v1/products", {
        "name": "西湖龙井", "unit": "盒", "price": "68.00", "barcodes": [TEA],
        "stock_tracked": False})
    assert status == 201, product
    status, order, _ = api.call("POST", "/api/v1/orders", {})
    assert status == 201, order
    status, _, _ = api.call("POST", f"/api/v1/orders/{order['id']}/lines", {"barcode": TEA})
    assert status in (200, 201)
    status, paid, _ = api.call("POST", f"/api/v1/orders/{order['id']}/payments",
                               {"method": "cash", "amount": "100.00"})
    assert status == 201 and paid["change"] == "32.00" and paid["completed"], paid
    box.order_id = order["id"]
    records = journal_records(box)
    paid_records = [r for r in records if r["type"] == "order.paid"
                    and r["data"].get("order_id") == order["id"]]
    assert len(paid_records) == 1
    verify = box.run("runuser", "-u", "tillbox", "--", "tillbox", "ledger", "verify", "--json")
    assert json.loads(verify.stdout)["ok"] is True


@pytest.mark.parametrize("unit", DAEMONS)
def test_a_daemon_killed_with_sigkill_is_restarted(box, unit):
    before, restarts = main_pid(box, unit), int(box.unit_property(unit, "NRestarts"))
    assert before > 0
    box.run("kill", "-KILL", str(before))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if int(box.unit_property(unit, "NRestarts")) > restarts and \
                box.unit_property(unit, "ActiveState") == "active":
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"{unit} was not restarted:\n{box.journal((unit,))}")
    assert main_pid(box, unit) not in (0, before)
    if unit == "tillbox-core":
        box.api.wait_healthy()


def test_an_upgrade_keeps_the_ledger_and_settings(box, package):
    installed = box.run("dpkg-query", "-W", "-f", "${Version}", "tillbox").stdout
    assert installed == OLDER_DEB
    conf = box.rootfs / "etc/tillbox/tillbox.toml"
    conf.write_text(conf.read_text().replace('timezone = "Asia/Shanghai"',
                                             'timezone = "Asia/Urumqi"  # edited by the shop'))
    pids = {u: main_pid(box, u) for u in DAEMONS}
    (box.rootfs / "root" / package.name).write_bytes(package.read_bytes())
    out = box.run("env", "DEBIAN_FRONTEND=noninteractive", "dpkg", "-i", f"/root/{package.name}",
                  timeout=300)
    assert f"upgraded from tillbox {OLDER_DEB}" in out.stdout + out.stderr
    assert box.run("dpkg-query", "-W", "-f", "${Version}", "tillbox").stdout == VERSION
    box.wait_active(timeout=60)
    assert all(main_pid(box, u) != pids[u] for u in DAEMONS)    # restarted on the new code
    assert 'timezone = "Asia/Urumqi"  # edited by the shop' in conf.read_text()
    assert 'store_id = "hz-0012"' in (box.rootfs / "var/lib/tillbox/setup.toml").read_text()
    fmt = json.loads((box.rootfs / "var/lib/tillbox/format.json").read_text())
    assert fmt["format"] >= 1
    api = box.api
    api.wait_healthy()
    api.sign_in(OWNER_PIN)                       # staff and PINs survived
    status, order, _ = api.call("GET", f"/api/v1/orders/{box.order_id}")
    assert status == 200 and order["status"] == "paid" and order["id"] == box.order_id, order
    assert json.loads(box.run("runuser", "-u", "tillbox", "--", "tillbox", "ledger", "verify",
                              "--json").stdout)["ok"] is True


def test_remove_stops_the_daemons_and_keeps_the_data_purge_removes_it(box):
    box.run("env", "DEBIAN_FRONTEND=noninteractive", "dpkg", "--remove", "tillbox", timeout=120)
    states = box.run("systemctl", "is-active", *DAEMONS, check=False).stdout.split()
    assert all(s in ("inactive", "unknown") for s in states), states
    assert box.run("pgrep", "-u", "tillbox", check=False).stdout == ""
    assert (box.rootfs / "var/lib/tillbox/ledger.db").exists()
    assert (box.rootfs / "etc/tillbox/tillbox.toml").exists()        # a conffile, until purge
    box.run("env", "DEBIAN_FRONTEND=noninteractive", "dpkg", "--purge", "tillbox", timeout=120)
    assert not (box.rootfs / "var/lib/tillbox").exists()
    assert not (box.rootfs / "etc/tillbox").exists()
    assert not (box.rootfs / "opt/tillbox").exists()


def test_it_powers_off_cleanly(box):
    assert box.poweroff() == 0
