"""The bench venv (.venv-bench/, scripts/bench/setup.sh), checked against its lock.

    .venv-bench/bin/python scripts/bench/lock_check.py   # exit 1, naming each package, on a mismatch

scripts/bench/requirements.lock pins every package with hashes (made by pip-compile
from requirements.in). The bench models, inputs and reference outputs depend on the exact
exporter/quantizer versions, so a venv that drifts from the lock fails loudly.
make_models.py puts `lock_sha256()` in its stamps, so a new lock regenerates the models.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from importlib.metadata import distributions

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LOCK = os.path.join(ROOT, "scripts", "bench", "requirements.lock")
# What `python -m venv` brings; not data-generating packages.
TOOLING = {"pip", "setuptools", "wheel"}


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_sha256() -> str:
    with open(LOCK, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def locked() -> dict[str, str]:
    pins = {}
    with open(LOCK) as f:
        for line in f:
            m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", line)
            if m:
                pins[norm(m.group(1))] = m.group(2)
    return pins


def mismatches() -> list[str]:
    want = locked()
    have = {norm(d.metadata["Name"]): d.version for d in distributions()}
    out = []
    for name, v in sorted(want.items()):
        if name not in have:
            out.append(f"{name}: missing, the lock says {v}")
        elif have[name] != v:
            out.append(f"{name}: installed {have[name]}, the lock says {v}")
    for name, v in sorted(have.items()):
        if name not in want and name not in TOOLING:
            out.append(f"{name}: installed {v}, not in the lock")
    return out


def main() -> int:
    bad = mismatches()
    if bad:
        print(f"python environment ({sys.prefix}) does not match {os.path.relpath(LOCK, ROOT)}:", file=sys.stderr)
        for b in bad:
            print(f"  {b}", file=sys.stderr)
        print("rebuild it: rm -rf .venv-bench && bash scripts/bench/setup.sh", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
