#!/usr/bin/env bash
# Refresh the pinned Python inputs of the package: every distribution of every pinned version,
# with its sha256 (pip --require-hashes checks them), for amd64 and arm64 alike.
set -euo pipefail
cd "$(dirname "$0")/.."
uv=".venv/bin/uv"
[ -x "$uv" ] || .venv/bin/python -m pip install --quiet 'uv>=0.5'
common=(--generate-hashes --universal --python-version 3.11 --no-header --quiet)
"$uv" pip compile "${common[@]}" pyproject.toml --extra pi -o image_build/requirements.lock
"$uv" pip compile "${common[@]}" image_build/build-tools.in -o image_build/build-tools.lock
echo "image_build/requirements.lock and build-tools.lock refreshed"
