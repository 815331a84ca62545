"""A real mosquitto on a free loopback port for tests: started and stopped by the test.

``Broker(tmp, acl=...)`` writes its own mosquitto.conf (MQTT 5 and shared subscriptions are
mosquitto 2 defaults), optionally with a password file and an ACL file; ``set_acl()``
rewrites the ACL and reloads it (SIGHUP) without dropping clients; ``stop()``/``start()``
model an outage on the same port.
"""

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from conftest import free_port

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


class Broker:
    def __init__(self, tmp: Path, *, acl: str | None = None,
                 users: dict[str, str] | None = None):
        self.dir = Path(tmp)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        lines = [f"listener {self.port} 127.0.0.1", "persistence false",
                 # As root (CI) mosquitto would switch to its own user, which cannot read
                 # the test's 0600 password file; a test broker stays who started it.
                 *(["user root"] if os.geteuid() == 0 else []),
                 f"log_dest file {self.dir / 'mosquitto.log'}", "log_type all"]
        if users:
            pw = self.dir / "passwd"
            pw.write_text("".join(f"{u}:{p}\n" for u, p in users.items()))
            pw.chmod(0o600)
            subprocess.run(["mosquitto_passwd", "-U", str(pw)], check=True)
            lines += [f"password_file {pw}", "allow_anonymous false"]
        else:
            lines.append("allow_anonymous true")
        if acl is not None:
            self.acl_file = self.dir / "acl"
            self.acl_file.write_text(acl)
            lines.append(f"acl_file {self.acl_file}")
        self.conf = self.dir / "mosquitto.conf"
        self.conf.write_text("\n".join(lines) + "\n")
        self.start()

    def start(self) -> None:
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log()
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("mosquitto did not start:\n" + self.log())

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)

    def set_acl(self, acl: str) -> None:
        self.acl_file.write_text(acl)
        self.proc.send_signal(signal.SIGHUP)
        time.sleep(0.3)

    def log(self) -> str:
        p = self.dir / "mosquitto.log"
        return p.read_text(errors="replace")[-4000:] if p.exists() else ""
