"""Generate the bench suite's models, random inputs and onnxruntime reference outputs.

Usage (from the repo root, after `bash scripts/bench/setup.sh`):

    .venv-bench/bin/python scripts/bench/make_models.py            # every model
    .venv-bench/bin/python scripts/bench/make_models.py bert_base  # only some

Writes .cache/bench/<name>/ (git-ignored), one folder per model, laid out like the cases
of scripts/make_real_models.py (.cache/models/): model.onnx, the raw little-endian tensors
it reads and writes (*.bin) and case.json:

    {"model": "model.onnx", "source": "<how it was made>",
     "steps": [{"feeds":   {name: {"dtype", "shape", "file"}},
                "outputs": {name: {"dtype", "shape", "file"}}}],
     "export_s": <seconds the export took>, "bytes": <size of model.onnx>}

The first step is the one bench/suite.ts times; later steps (the dynamic-shape BERT's
other shapes) are checked only. Weights are random (fixed seeds), never downloaded.
The reference outputs are onnxruntime's (Python, CPU, one thread). Each folder has a
stamp (this script's recipe version, the model's recipe, the lock's hash): a model whose
stamp matches is skipped, so a second run is a no-op.

Bench-only: torch, torchvision and transformers live in .venv-bench (scripts/bench/
requirements.lock), not in the test venv, and nothing here is part of `npm test`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
import warnings

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from python_lock import lock_sha256  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, ".cache", "bench")
LOCK = os.path.join(ROOT, "scripts", "bench", "requirements.lock")
STAMP_VERSION = "1"

DTYPES = {np.dtype(np.float32): "float32", np.dtype(np.int64): "int64", np.dtype(np.int32): "int32"}

BERT_SEQ = 128
GPT2_CONFIG = dict(n_layer=4, n_embd=256, n_head=4, n_positions=512, vocab_size=50257)
GPT2_SEQ = 128


# ----------------------------------------------------------------------------- cases

class Case:
    """One model folder: tensors as .bin files, steps into case.json."""

    def __init__(self, name: str, source: str):
        self.name = name
        self.source = source
        self.folder = os.path.join(OUT, name)
        self.model = os.path.join(self.folder, "model.onnx")
        self.steps: list[dict] = []
        self.export_s = 0.0
        self._sess: ort.InferenceSession | None = None

    def sess(self) -> ort.InferenceSession:
        if self._sess is None:
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = 1
            opts.inter_op_num_threads = 1
            self._sess = ort.InferenceSession(self.model, opts, providers=["CPUExecutionProvider"])
        return self._sess

    def _save(self, tag: str, arr: np.ndarray) -> dict:
        arr = np.array(arr, order="C", copy=True)  # (np.ascontiguousarray turns a scalar into [1])
        file = "".join(c if c.isalnum() or c in "._-" else "_" for c in tag) + ".bin"
        arr.tofile(os.path.join(self.folder, file))
        return {"dtype": DTYPES[arr.dtype], "shape": list(arr.shape), "file": file}

    def step(self, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        i = len(self.steps)
        names = [o.name for o in self.sess().get_outputs()]
        results = dict(zip(names, self.sess().run(names, feeds)))
        entry = {"feeds": {k: self._save(f"step{i}_in_{k}", v) for k, v in feeds.items()},
                 "outputs": {k: self._save(f"step{i}_out_{k}", v) for k, v in results.items()}}
        self.steps.append(entry)
        return results

    def finish(self) -> None:
        self._sess = None
        with open(os.path.join(self.folder, "case.json"), "w") as f:
            json.dump({"model": "model.onnx", "source": self.source, "steps": self.steps,
                       "export_s": round(self.export_s, 2), "bytes": os.path.getsize(self.model)}, f, indent=1)


def check_single_file(path: str) -> None:
    """The bench compares runtimes on one self-contained .onnx: no external data files."""
    m = onnx.load(path, load_external_data=False)
    for t in m.graph.initializer:
        if t.data_location == TensorProto.EXTERNAL:
            raise SystemExit(f"{path}: initializer {t.name} uses external data")


# ----------------------------------------------------------------------------- torch helpers

def torch_seed(seed: int) -> None:
    import torch
    torch.manual_seed(seed)
    np.random.seed(seed)


def calibrate_bn(model, shape: tuple[int, ...], seed: int, batches: int = 2, batch: int = 8) -> None:
    """Random init leaves BatchNorm's running stats at mean 0 / var 1, so activations grow
    layer by layer in eval mode. A few train-mode passes over random images set the running
    stats to the activations' real statistics (cumulative average), as trained nets have."""
    import torch
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.reset_running_stats()
            m.momentum = None
    g = torch.Generator().manual_seed(seed)
    model.train()
    with torch.no_grad():
        for _ in range(batches):
            model(torch.randn((batch, *shape[1:]), generator=g))
    model.eval()


def export_legacy_or_dynamo(model, args: tuple, path: str, input_names: list[str], output_names: list[str],
                            opset: int) -> str:
    """torch.onnx.export at `opset` with static shapes: the TorchScript exporter where this
    torch still has it, else the torch.export-based one. Returns which one made the file."""
    import torch
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, args, path, opset_version=opset, input_names=input_names,
                              output_names=output_names, dynamo=False, do_constant_folding=True)
        return "torch.onnx.export(dynamo=False)"
    except Exception as e:  # noqa: BLE001 - fall back, say why
        print(f"  TorchScript exporter failed ({type(e).__name__}: {str(e)[:200]}); using dynamo=True", flush=True)
        torch.onnx.export(model, args, path, opset_version=opset, input_names=input_names,
                          output_names=output_names, dynamo=True, external_data=False)
        return "torch.onnx.export(dynamo=True)"


def export_dynamo(model, args: tuple, path: str, input_names: list[str], output_names: list[str], opset: int,
                  dynamic_shapes=None) -> None:
    import torch
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prog = torch.onnx.export(model, args, dynamo=True, opset_version=opset, input_names=input_names,
                                 output_names=output_names, dynamic_shapes=dynamic_shapes, optimize=True,
                                 verbose=False)
    prog.save(path, external_data=False)


# ----------------------------------------------------------------------------- models

def vision(name: str, ctor: str, seed: int) -> Case:
    import torch
    import torchvision
    case = Case(name, "")
    torch_seed(seed)
    model = getattr(torchvision.models, ctor)(weights=None)
    calibrate_bn(model, (1, 3, 224, 224), seed)
    x = torch.from_numpy(np.random.default_rng(seed).standard_normal((1, 3, 224, 224)).astype(np.float32))
    t0 = time.perf_counter()
    how = export_legacy_or_dynamo(model, (x,), case.model, ["input"], ["logits"], opset=17)
    case.export_s = time.perf_counter() - t0
    case.source = (f"torchvision {torchvision.__version__} models.{ctor}(weights=None), torch.manual_seed({seed}), "
                   f"BatchNorm stats from 2x8 random images; {how}, opset 17, input 1x3x224x224")
    with torch.no_grad():
        want = model(x).numpy()
    got = case.step({"input": x.numpy()})["logits"]
    print(f"  torch vs onnxruntime: max abs {np.abs(got - want).max():.3g} (|logits| up to {np.abs(want).max():.3g})")
    return case


class BertWrap:
    """BertModel with positional inputs and a tuple out, so the ONNX graph's names are fixed."""

    @staticmethod
    def make(seed: int):
        import torch
        import transformers

        torch_seed(seed)
        cfg = transformers.BertConfig()  # bert-base: 12 layers, 768 hidden, 12 heads, vocab 30522
        bert = transformers.BertModel(cfg).eval()

        class Wrap(torch.nn.Module):
            def __init__(self):
                super().__init__()
                self.bert = bert

            def forward(self, input_ids, attention_mask, token_type_ids):
                o = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                              return_dict=True)
                return o.last_hidden_state, o.pooler_output

        return Wrap().eval(), cfg


def bert_inputs(rng: np.random.Generator, batch: int, seq: int, vocab: int) -> dict[str, np.ndarray]:
    """Random tokens; the last eighth of each row is padding (mask 0); segment B from the middle."""
    ids = rng.integers(1000, vocab, (batch, seq), dtype=np.int64)
    ids[:, 0] = 101  # [CLS]
    mask = np.ones((batch, seq), np.int64)
    pad = seq // 8
    mask[:, seq - pad:] = 0
    ids[:, seq - pad:] = 0
    types = np.zeros((batch, seq), np.int64)
    types[:, seq // 2:seq - pad] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


BERT_IN = ["input_ids", "attention_mask", "token_type_ids"]
BERT_OUT = ["last_hidden_state", "pooler_output"]


def bert(name: str, dynamic: bool, seed: int = 3) -> Case:
    import torch
    import transformers
    case = Case(name, "")
    model, cfg = BertWrap.make(seed)
    feeds = bert_inputs(np.random.default_rng(seed), 1, BERT_SEQ, cfg.vocab_size)
    args = tuple(torch.from_numpy(feeds[k]) for k in BERT_IN)
    dyn = None
    if dynamic:
        b = torch.export.Dim("batch", min=1, max=64)
        s = torch.export.Dim("seq", min=2, max=cfg.max_position_embeddings)
        dyn = {k: {0: b, 1: s} for k in BERT_IN}
    t0 = time.perf_counter()
    export_dynamo(model, args, case.model, BERT_IN, BERT_OUT, opset=18, dynamic_shapes=dyn)
    case.export_s = time.perf_counter() - t0
    shape = "dynamic batch x seq" if dynamic else f"static 1x{BERT_SEQ}"
    case.source = (f"transformers {transformers.__version__} BertModel(BertConfig()) random init, "
                   f"torch.manual_seed({seed}); torch.onnx.export(dynamo=True), opset 18, {shape}")
    with torch.no_grad():
        want = model(*args)[0].numpy()
    got = case.step(feeds)["last_hidden_state"]
    print(f"  torch vs onnxruntime: max abs {np.abs(got - want).max():.3g}")
    if dynamic:  # other shapes, checked by the suite but not timed
        rng = np.random.default_rng(seed + 1)
        case.step(bert_inputs(rng, 2, 64, cfg.vocab_size))
        case.step(bert_inputs(rng, 1, 37, cfg.vocab_size))
    return case


def bert_int8(name: str, src: str) -> Case:
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process
    case = Case(name, "")
    src_dir = os.path.join(OUT, src)
    t0 = time.perf_counter()
    pre = os.path.join(case.folder, "pre.onnx")
    try:
        quant_pre_process(os.path.join(src_dir, "model.onnx"), pre, skip_symbolic_shape=False)
        how = "quant_pre_process + "
    except Exception as e:  # noqa: BLE001
        print(f"  quant_pre_process failed ({type(e).__name__}: {str(e)[:200]}); quantizing the export as is")
        shutil.copy(os.path.join(src_dir, "model.onnx"), pre)
        how = ""
    quantize_dynamic(pre, case.model, weight_type=QuantType.QInt8)
    os.remove(pre)
    case.export_s = time.perf_counter() - t0
    case.source = (f"{src}/model.onnx through {how}onnxruntime {ort.__version__} "
                   "quantization.quantize_dynamic(weight_type=QInt8)")
    spec = json.load(open(os.path.join(src_dir, "case.json")))
    feeds = {}
    for k, f in spec["steps"][0]["feeds"].items():
        feeds[k] = np.fromfile(os.path.join(src_dir, f["file"]), dtype=f["dtype"]).reshape(f["shape"])
    got = case.step(feeds)["last_hidden_state"]
    ref = spec["steps"][0]["outputs"]["last_hidden_state"]
    fp = np.fromfile(os.path.join(src_dir, ref["file"]), dtype=np.float32).reshape(ref["shape"])
    print(f"  int8 vs float32 (onnxruntime): max abs {np.abs(got - fp).max():.3g}")
    return case


def gpt2(name: str, seed: int = 4) -> Case:
    import torch
    import transformers
    case = Case(name, "")
    torch_seed(seed)
    cfg = transformers.GPT2Config(**GPT2_CONFIG, use_cache=False)
    lm = transformers.GPT2LMHeadModel(cfg).eval()

    class Wrap(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lm = lm

        def forward(self, input_ids, attention_mask):
            return self.lm(input_ids=input_ids, attention_mask=attention_mask, use_cache=False,
                           return_dict=True).logits

    model = Wrap().eval()
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, cfg.vocab_size, (1, GPT2_SEQ), dtype=np.int64)
    mask = np.ones((1, GPT2_SEQ), np.int64)
    args = (torch.from_numpy(ids), torch.from_numpy(mask))
    t0 = time.perf_counter()
    export_dynamo(model, args, case.model, ["input_ids", "attention_mask"], ["logits"], opset=18)
    case.export_s = time.perf_counter() - t0
    conf = ", ".join(f"{k}={v}" for k, v in GPT2_CONFIG.items())
    case.source = (f"transformers {transformers.__version__} GPT2LMHeadModel(GPT2Config({conf}, use_cache=False)) "
                   f"random init, torch.manual_seed({seed}); torch.onnx.export(dynamo=True), opset 18, "
                   f"static 1x{GPT2_SEQ}, no KV cache")
    with torch.no_grad():
        want = model(*args).numpy()
    got = case.step({"input_ids": ids, "attention_mask": mask})["logits"]
    print(f"  torch vs onnxruntime: max abs {np.abs(got - want).max():.3g}")
    return case


def matmul(name: str, const_b: bool, n: int = 1024, seed: int = 6) -> Case:
    """A [n,n] @ B [n,n], float32; B an initializer (weights, prepackable) or a second input."""
    case = Case(name, "")
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = (rng.standard_normal((n, n)) / np.sqrt(n)).astype(np.float32)
    t0 = time.perf_counter()
    inputs = [helper.make_tensor_value_info("A", TensorProto.FLOAT, [n, n])]
    inits = []
    if const_b:
        inits.append(numpy_helper.from_array(b, "B"))
    else:
        inputs.append(helper.make_tensor_value_info("B", TensorProto.FLOAT, [n, n]))
    graph = helper.make_graph([helper.make_node("MatMul", ["A", "B"], ["Y"])], name, inputs,
                              [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [n, n])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="onnxrun-bench")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, case.model)
    case.export_s = time.perf_counter() - t0
    case.source = (f"onnx {onnx.__version__} helper: MatMul {n}x{n} @ {n}x{n} float32, "
                   f"B {'an initializer' if const_b else 'an input'}, opset 17")
    case.step({"A": a} if const_b else {"A": a, "B": b})
    return case


# name -> (recipe for the stamp, builder, models it reads)
MODELS = {
    "resnet50": ("torchvision resnet50 seed 0 bn-calib opset17", lambda n: vision(n, "resnet50", 0), []),
    "mobilenet_v2": ("torchvision mobilenet_v2 seed 1 bn-calib opset17", lambda n: vision(n, "mobilenet_v2", 1), []),
    "bert_base": (f"BertModel default seed 3 seq {BERT_SEQ} dynamo opset18", lambda n: bert(n, False), []),
    "bert_base_dynamic": (f"BertModel default seed 3 dynamic dynamo opset18 steps 1x{BERT_SEQ},2x64,1x37",
                          lambda n: bert(n, True), []),
    "bert_base_int8": ("quant_pre_process + quantize_dynamic QInt8 of bert_base", lambda n: bert_int8(n, "bert_base"),
                       ["bert_base"]),
    "gpt2_small": (f"GPT2LMHeadModel {GPT2_CONFIG} seed 4 seq {GPT2_SEQ} dynamo opset18", gpt2, []),
    "matmul_1024": ("MatMul 1024 B initializer seed 6 opset17 ir8", lambda n: matmul(n, True), []),
    "matmul_1024_inputs": ("MatMul 1024 B input seed 6 opset17 ir8", lambda n: matmul(n, False), []),
}


def stamp_of(name: str) -> str:
    recipe, _, deps = MODELS[name]
    parts = [STAMP_VERSION, name, recipe, lock_sha256(LOCK), ort.__version__]
    for d in deps:  # a rebuilt source model rebuilds its derivatives
        p = os.path.join(OUT, d, ".stamp")
        parts.append(open(p).read() if os.path.exists(p) else "")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def human(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB"


def main(argv: list[str]) -> int:
    names = argv or list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        print(f"unknown model(s) {unknown}; known: {', '.join(MODELS)}", file=sys.stderr)
        return 2
    os.makedirs(OUT, exist_ok=True)
    failed = []
    for name in MODELS:  # in table order, so a derivative comes after its source
        if name not in names:
            continue
        folder = os.path.join(OUT, name)
        stamp = os.path.join(folder, ".stamp")
        want = stamp_of(name)
        if os.path.exists(stamp) and open(stamp).read() == want:
            spec = json.load(open(os.path.join(folder, "case.json")))
            print(f"{name}: up to date ({human(spec['bytes'])}, export took {spec['export_s']} s)")
            continue
        print(f"{name}: making ...", flush=True)
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        t0 = time.perf_counter()
        try:
            case = MODELS[name][1](name)
            check_single_file(case.model)
            case.finish()
        except Exception as e:  # noqa: BLE001 - go on with the others, fail at the end
            print(f"{name}: FAILED: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
            shutil.rmtree(folder, ignore_errors=True)
            failed.append(name)
            continue
        with open(stamp, "w") as f:
            f.write(want)
        print(f"{name}: {human(os.path.getsize(case.model))}, export {case.export_s:.1f} s, "
              f"total {time.perf_counter() - t0:.1f} s", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
