"""The Debian package (issue 6, point 2): what it contains, its control data and maintainer
scripts, and lintian's verdict (no errors, no warnings; each override explained)."""

from __future__ import annotations

import re
import subprocess

from system_build import ROOT, VERSION, package  # noqa: F401 - a fixture

OVERRIDES = ROOT / "image_build" / "deb" / "lintian-overrides"


def deb_field(deb, field: str) -> str:
    return subprocess.run(["dpkg-deb", "-f", str(deb), field], capture_output=True, text=True,
                          check=True).stdout.strip()


def contents(deb) -> dict[str, str]:
    out = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True,
                         check=True).stdout
    files = {}
    for line in out.splitlines():
        mode, _owner, _size, _date, _time, path = line.split(None, 5)
        files[path.split(" -> ")[0].lstrip(".")] = mode
    return files


def test_name_version_and_dependencies(package):
    assert package.name == f"tillbox_{VERSION}_{deb_field(package, 'Architecture')}.deb"
    assert deb_field(package, "Version") == VERSION
    depends = deb_field(package, "Depends")
    assert "python3.11" in depends and "systemd" in depends


def test_contents(package):
    files = contents(package)
    for path in ("/opt/tillbox/venv/bin/tillbox", "/usr/bin/tillbox",
                 "/etc/tillbox/tillbox.toml", "/lib/systemd/system/tillbox.target",
                 "/lib/systemd/system/tillbox-core.service",
                 "/lib/systemd/system/tillbox-scannerd.service",
                 "/lib/systemd/system/tillbox-printerd.service",
                 "/lib/systemd/system/tillbox-uplinkd.service",
                 "/lib/systemd/system/tillbox-firstboot.service",
                 "/usr/lib/sysusers.d/tillbox.conf", "/usr/lib/tmpfiles.d/tillbox.conf",
                 "/lib/udev/rules.d/60-tillbox.rules", "/usr/lib/modules-load.d/tillbox.conf",
                 "/usr/share/man/man1/tillbox.1.gz", "/usr/share/doc/tillbox/copyright",
                 "/usr/share/doc/tillbox/changelog.gz"):
        assert path in files, path
    site = "/opt/tillbox/venv/lib/python3.11/site-packages/"
    # The web UI's vendored files and translations travel with the code.
    for path in ("webui/static/vendor/zxing/zxing.min.js", "webui/static/js/counter.js",
                 "webui/templates/setup.html", "webui/translations/zh/LC_MESSAGES/messages.mo"):
        assert site + path in files, path
    assert not any("__pycache__" in p or p.endswith(".pyc") for p in files)
    assert not any(p.startswith(site) and mode[3] == "x" for p, mode in files.items()
                   if mode.startswith("-"))
    # No data directory and no secrets in the package: each box makes its own.
    assert not any(p.startswith("/var/lib/tillbox") for p in files)
    assert "/etc/tillbox/secrets.toml" not in files


def test_the_configuration_is_a_conffile_and_the_scripts_name_every_unit(package, tmp_path):
    subprocess.run(["dpkg-deb", "-e", str(package), str(tmp_path / "DEBIAN")], check=True)
    assert (tmp_path / "DEBIAN" / "conffiles").read_text().split() == ["/etc/tillbox/tillbox.toml"]
    units = sorted(p.name for p in (ROOT / "systemd").iterdir()
                   if p.suffix in (".service", ".target", ".path", ".timer"))
    for script in ("postinst", "prerm", "postrm"):
        text = (tmp_path / "DEBIAN" / script).read_text()
        assert "@UNITS@" not in text and "@ENABLE@" not in text
        named = re.search(r'^UNITS="(.*)"$', text, re.M).group(1).split()
        assert sorted(named) == units, script
        subprocess.run(["sh", "-n", str(tmp_path / "DEBIAN" / script)], check=True)
    postinst = (tmp_path / "DEBIAN" / "postinst").read_text()
    assert "tillbox.target" in re.search(r'^ENABLE="(.*)"$', postinst, re.M).group(1)
    assert re.search(r'bin/tillbox" migrate --from-version "\$2"', postinst)


def test_lintian_finds_no_errors_or_warnings(package):
    proc = subprocess.run(["lintian", "--tag-display-limit", "0", "--fail-on", "error,warning",
                           str(package)], capture_output=True, text=True, timeout=600)
    findings = [line for line in proc.stdout.splitlines() if re.match(r"^[EW]: ", line)]
    assert findings == [] and proc.returncode == 0, proc.stdout + proc.stderr


def test_every_lintian_override_is_explained_in_the_docs():
    docs = (ROOT / "docs" / "packaging.md").read_text()
    tags = {line.split()[1] for line in OVERRIDES.read_text().splitlines()
            if line.startswith("tillbox:")}
    assert tags
    for tag in tags:
        assert f"`{tag}`" in docs, f"{tag} is overridden but docs/packaging.md does not say why"
