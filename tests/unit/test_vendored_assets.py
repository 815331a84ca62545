"""Front-end files all ship with the package: nothing from a CDN, vendored files as recorded."""

import hashlib
import re
from pathlib import Path

WEBUI = Path(__file__).resolve().parents[2] / "webui"


def test_vendored_files_match_their_recorded_hashes_and_have_licences():
    readme = (WEBUI / "static" / "vendor" / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|$", readme, re.M)
    assert rows, "no vendored files listed"
    for rel, digest in rows:
        path = WEBUI / "static" / "vendor" / rel
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, rel
        assert (path.parent / "LICENSE").exists(), f"{rel} has no licence beside it"


def test_pages_and_scripts_load_nothing_from_the_internet():
    files = list((WEBUI / "templates").glob("*.html")) + \
        [p for p in (WEBUI / "static").rglob("*") if p.suffix in (".js", ".css")
         and "vendor" not in p.parts]
    for f in files:
        text = f.read_text(encoding="utf-8")
        assert not re.search(r"(src|href)=\"(https?:)?//", text), f
        assert "url(http" not in text and "@import" not in text, f


def test_every_static_file_a_template_names_exists():
    for tpl in (WEBUI / "templates").glob("*.html"):
        for name in re.findall(r"url_for\('static', filename='([^']+)'\)",
                               tpl.read_text(encoding="utf-8")):
            assert (WEBUI / "static" / name).exists(), f"{tpl.name} names {name}"
