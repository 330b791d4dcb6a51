"""The Python environment that generates test data, checked against its lock.

    .venv/bin/python scripts/python_lock.py      # exit 1, naming each package, on a mismatch
    .venv-bench/bin/python scripts/python_lock.py scripts/bench/requirements.lock "rm -rf .venv-bench && bash scripts/bench/setup.sh"

scripts/python/requirements.lock pins every package with hashes (made by pip-compile
from requirements.in). Generated expectations depend on exact versions (ml_dtypes 0.7
changed the int4 casts the conformance data expects), so a venv that drifts from the
lock must fail loudly instead of quietly writing other data. The generators also put
`lock_sha256()` in their stamps, so a new lock regenerates their output.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from importlib.metadata import distributions

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOCK = os.path.join(ROOT, "scripts", "python", "requirements.lock")
# What `python -m venv` brings; not data-generating packages.
TOOLING = {"pip", "setuptools", "wheel"}


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_sha256(lock: str = LOCK) -> str:
    with open(lock, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def locked(lock: str = LOCK) -> dict[str, str]:
    pins = {}
    with open(lock) as f:
        for line in f:
            m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", line)
            if m:
                pins[norm(m.group(1))] = m.group(2)
    return pins


def mismatches(lock: str = LOCK) -> list[str]:
    want = locked(lock)
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


def main(argv: list[str]) -> int:
    """argv: [lock path (relative to the repo), how to rebuild]; the test venv's by default."""
    lock = os.path.join(ROOT, argv[0]) if argv else LOCK
    rebuild = argv[1] if len(argv) > 1 else "rm -rf .venv && bash scripts/setup-python.sh"
    bad = mismatches(lock)
    if bad:
        print(f"python environment ({sys.prefix}) does not match {os.path.relpath(lock, ROOT)}:", file=sys.stderr)
        for b in bad:
            print(f"  {b}", file=sys.stderr)
        print(f"rebuild it: {rebuild}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
