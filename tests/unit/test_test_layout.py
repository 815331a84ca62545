"""The test tree's own rule: test folders have no __init__.py, so pytest imports each test
module by its file name, and two files of one name in different folders break collection of
the whole suite (twice so far, found only by CI). This names the clash at once."""

from collections import defaultdict
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_no_two_test_modules_share_a_file_name():
    seen = defaultdict(list)
    for path in TESTS.rglob("*.py"):
        if path.name not in ("__init__.py", "conftest.py"):
            seen[path.name].append(str(path.relative_to(TESTS)))
    assert {name: where for name, where in seen.items() if len(where) > 1} == {}
