"""Fixtures and helpers for the packaged appliance: packages built from this tree by
image_build/build-deb.sh, a root file system by image_build/rootfs.sh, booted by
image_build/nspawn_box.py. Test modules import the fixtures they use. (Not a conftest.py: a
second module named `conftest` would shadow tests/conftest.py for `from conftest import`.)

Builds are slow (the venv, the Debian root), so they happen once per run: the build root is
kept in var/build/ between runs (rebuilt when its package list changes); packages and root
file systems are made fresh in a temporary directory every time.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest


ROOT = Path(__file__).resolve().parents[2]
IMAGE_BUILD = ROOT / "image_build"
sys.path.insert(0, str(IMAGE_BUILD))

from nspawn_box import nspawn_problem  # noqa: E402

VERSION = next(line.split('"')[1] for line in
               (ROOT / "appliance" / "__init__.py").read_text().splitlines()
               if line.startswith("__version__"))
#: The version the upgrade starts from: the same tree, numbered just below this one (as a
#: release candidate; build-deb.sh makes that 0.1.0~rc1 for Debian).
OLDER = f"{VERSION}rc1"
OLDER_DEB = f"{VERSION}~rc1"
ARCH = subprocess.run(["dpkg", "--print-architecture"], capture_output=True,
                      text=True).stdout.strip() or "amd64"


def build_problem() -> str | None:
    """Why packages cannot be built and booted here (the only reason to skip)."""
    return nspawn_problem()


def _run(cmd: list[str], log: Path, **env: str) -> str:
    with open(log, "ab") as fh:
        proc = subprocess.run(cmd, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        fh.write(proc.stdout.encode())
    if proc.returncode != 0:
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{tail}")
    return proc.stdout.strip().splitlines()[-1]


def build_deb(out: Path, version: str) -> Path:
    deb = _run(["bash", str(IMAGE_BUILD / "build-deb.sh")], out / "build.log", ARCH=ARCH,
               VERSION=version, OUT=str(out),
               BUILDROOT=str(ROOT / "var" / "build" / f"buildroot-{ARCH}"))
    return Path(deb)


@functools.lru_cache(maxsize=None)
def _out_dir() -> Path:
    out = Path(tempfile.mkdtemp(prefix="tillbox-packages-"))
    atexit.register(shutil.rmtree, out, True)
    return out


@functools.lru_cache(maxsize=None)
def built_package(version: str) -> Path:
    """Built once per test run, whichever module asks first."""
    problem = build_problem()
    if problem:
        pytest.skip(f"cannot build and boot the package here: {problem}")
    return build_deb(_out_dir(), version)


@pytest.fixture(scope="session")
def package() -> Path:
    """This tree's package."""
    return built_package(VERSION)


@pytest.fixture(scope="session")
def older_package(package) -> Path:
    """The same tree numbered one step lower, to upgrade from."""
    return built_package(OLDER)


def make_rootfs(deb: Path, target: Path) -> Path:
    _run(["bash", str(IMAGE_BUILD / "rootfs.sh"), ARCH, str(deb), str(target), "boottest"],
         target.parent / "rootfs.log")
    return target


@pytest.fixture(scope="session")
def pristine_rootfs(tmp_path_factory, older_package) -> Path:
    """One boot-test root file system per run, with the older package installed (the boot test
    upgrades it): never booted itself; each user boots a copy (:func:`copy_rootfs`)."""
    return make_rootfs(older_package, tmp_path_factory.mktemp("pristine") / "rootfs")


def copy_rootfs(pristine: Path, target: Path) -> Path:
    """A copy to boot (owners, modes, links and device nodes kept)."""
    subprocess.run(["cp", "-a", str(pristine), str(target)], check=True)
    return target

