"""Build scikit-learn models and hand-made ai.onnx.ml nodes, and record onnxruntime's
outputs on fixed inputs: the reference for core-rs/crates/cpu/tests/sklearn.rs.

Usage (from the repo root, after `bash scripts/setup-python.sh`):

    .venv/bin/python scripts/make_sklearn_models.py

Writes .cache/sklearn/ (git-ignored), replacing what was there:
  <case>.onnx   a model
  <case>.json   {"model": "<case>.onnx", "inputs": [...], "outputs": [...]}: the inputs
                fed and what onnxruntime (CPU provider) returned. Values are
                {"name", "kind": "tensor", "dtype", "shape", "data"}, or for maps
                {"kind": "map", "key_dtype", "value_dtype", "keys", "values"}, or for
                sequences of maps {"kind": "seq_map", "key_dtype", "maps": [{"keys",
                "values"}]}. Floats are written as the exact decimal of their value
                (float32 widened to double); NaN and infinities as the strings
                "nan", "inf", "-inf".

Cases:
  - sklearn models converted with skl2onnx (target opsets ai.onnx 17, ai.onnx.ml 3):
    logistic regression (binary, multiclass), random forest and gradient boosting
    classifiers (binary, multiclass) and regressors, decision trees, SVC with
    probabilities (rbf, poly, linear, sigmoid; binary and multiclass) and without,
    SVR, linear regression, LinearSVC, a Pipeline of SimpleImputer + StandardScaler on
    numeric columns and OneHotEncoder on a string column feeding a logistic
    regression, DictVectorizer + logistic regression (a map input), LabelEncoder on
    strings, Normalizer, Binarizer.
  - op_* cases: single ai.onnx.ml nodes with random attributes drawn from a seeded
    generator (tree ensembles v3 and v5 with every branch mode, NaN routing, base
    values, aggregate functions and post transforms; SVMs in every kernel and post
    transform; CastMap, CategoryMapper, Scaler, ...). Configurations where
    onnxruntime itself writes undefined memory or fails are not drawn.

Everything is seeded, so a rerun with the pinned packages writes the same cases.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import warnings

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as TP
from onnx import helper

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, ".cache", "sklearn")
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}
SEED = 1234

warnings.filterwarnings("ignore")

DTYPES = {
    np.dtype(np.float32): "float32",
    np.dtype(np.float64): "float64",
    np.dtype(np.int64): "int64",
    np.dtype(np.int32): "int32",
    np.dtype(np.bool_): "bool",
}


def _num(v):
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if math.isnan(f):
            return "nan"
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        return f  # float32 values widen exactly
    if isinstance(v, (np.integer, int)) and not isinstance(v, bool):
        return int(v)
    if isinstance(v, (np.bool_, bool)):
        return bool(v)
    return str(v)


def tensor_json(name, a):
    a = np.asarray(a)
    if a.dtype == object or a.dtype.kind in "US":
        return {"name": name, "kind": "tensor", "dtype": "string", "shape": list(a.shape), "data": [str(v) for v in a.ravel()]}
    return {"name": name, "kind": "tensor", "dtype": DTYPES[a.dtype], "shape": list(a.shape), "data": [_num(v) for v in a.ravel()]}


def value_json(name, v):
    if isinstance(v, list) and (not v or isinstance(v[0], dict)):
        key_dtype = "string" if v and isinstance(next(iter(v[0])), str) else "int64"
        return {
            "name": name,
            "kind": "seq_map",
            "key_dtype": key_dtype,
            "maps": [{"keys": [_num(k) if key_dtype == "int64" else str(k) for k in m], "values": [_num(np.float32(x)) for x in m.values()]} for m in v],
        }
    return tensor_json(name, v)


def map_json(name, d, key_dtype, value_dtype):
    return {
        "name": name,
        "kind": "map",
        "key_dtype": key_dtype,
        "value_dtype": value_dtype,
        "keys": [k if key_dtype == "string" else int(k) for k in d],
        "values": [_num(np.float32(v)) if value_dtype == "float32" else _num(v) for v in d.values()],
    }


CASES = []


def save(name, model, feeds, map_inputs=None, check=True):
    """Runs `model` in onnxruntime on `feeds` and writes model + JSON."""
    if check:
        onnx.checker.check_model(model)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    outs = sess.run(None, feeds)
    path = os.path.join(OUT, name + ".onnx")
    with open(path, "wb") as f:
        f.write(model.SerializeToString())
    inputs = []
    for i in sess.get_inputs():
        if map_inputs and i.name in map_inputs:
            inputs.append(map_json(i.name, feeds[i.name], *map_inputs[i.name]))
        else:
            inputs.append(tensor_json(i.name, feeds[i.name]))
    doc = {
        "model": name + ".onnx",
        "inputs": inputs,
        "outputs": [value_json(o.name, v) for o, v in zip(sess.get_outputs(), outs)],
    }
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(doc, f, indent=None, separators=(",", ":"))
    CASES.append(name)


# ---- scikit-learn models -----------------------------------------------------------------


def sklearn_cases():
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import DictionaryType, FloatTensorType, Int64TensorType, StringTensorType
    from sklearn.compose import ColumnTransformer
    from sklearn.datasets import load_diabetes, load_iris, make_classification, make_regression
    from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor, RandomForestClassifier, RandomForestRegressor
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import Binarizer, LabelEncoder, Normalizer, OneHotEncoder, StandardScaler
    from sklearn.svm import SVC, SVR, LinearSVC
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    def conv(model, X, **kw):
        return to_onnx(model, X[:1], target_opset=TARGET_OPSET, **kw)

    iris = load_iris()
    Xi, yi = iris.data.astype(np.float32), iris.target
    Xtr, Xte, ytr, yte = train_test_split(Xi, yi, test_size=0.25, random_state=0)
    Xb, yb = make_classification(200, 6, n_informative=4, random_state=SEED)
    Xb = Xb.astype(np.float32)
    Xbtr, Xbte, ybtr, ybte = train_test_split(Xb, yb, test_size=0.2, random_state=0)
    Xr, yr = make_regression(200, 5, n_targets=1, noise=5.0, random_state=SEED)
    Xr = Xr.astype(np.float32)
    Xrtr, Xrte, yrtr, yrte = train_test_split(Xr, yr, test_size=0.2, random_state=0)
    Xm, ym = make_regression(120, 4, n_targets=3, noise=1.0, random_state=SEED)
    Xm = Xm.astype(np.float32)

    def classify(name, model, Xtrain, ytrain, Xtest, zipmap=True):
        model.fit(Xtrain, ytrain)
        opts = None if zipmap else {id(model): {"zipmap": False}}
        onx = conv(model, Xtest, options=opts)
        save(name, onx, {onx.graph.input[0].name: Xtest})

    def regress(name, model, Xtrain, ytrain, Xtest):
        model.fit(Xtrain, ytrain)
        onx = conv(model, Xtest)
        save(name, onx, {onx.graph.input[0].name: Xtest})

    classify("logreg_multiclass", LogisticRegression(max_iter=1000), Xtr, ytr, Xte)
    classify("logreg_binary", LogisticRegression(max_iter=1000), Xbtr, ybtr, Xbte)
    classify("logreg_binary_strings", LogisticRegression(max_iter=1000), Xbtr, np.array(["no", "yes"])[ybtr], Xbte)
    classify("linear_svc_multiclass", LinearSVC(random_state=0), Xtr, ytr, Xte)
    classify("decision_tree_multiclass", DecisionTreeClassifier(max_depth=4, random_state=0), Xtr, ytr, Xte)
    classify("random_forest_multiclass", RandomForestClassifier(10, max_depth=5, random_state=0), Xtr, ytr, Xte)
    classify("random_forest_binary", RandomForestClassifier(15, max_depth=6, random_state=0), Xbtr, ybtr, Xbte)
    classify("random_forest_binary_labels", RandomForestClassifier(8, max_depth=4, random_state=0), Xbtr, np.array([3, 7])[ybtr], Xbte, zipmap=False)
    classify("gradient_boosting_multiclass", GradientBoostingClassifier(n_estimators=20, max_depth=3, random_state=0), Xtr, ytr, Xte)
    classify("gradient_boosting_binary", GradientBoostingClassifier(n_estimators=30, max_depth=3, random_state=0), Xbtr, ybtr, Xbte)
    classify("gradient_boosting_binary_strings", GradientBoostingClassifier(n_estimators=10, max_depth=2, random_state=0), Xbtr, np.array(["a", "b"])[ybtr], Xbte)
    # Standardized iris for the SVMs: on raw iris a cubic kernel reaches ~1e4 and the
    # decision values cancel down to float noise, in onnxruntime as anywhere.
    mu, sd = Xtr.mean(0), Xtr.std(0)
    Xstr, Xste = ((Xtr - mu) / sd).astype(np.float32), ((Xte - mu) / sd).astype(np.float32)
    for kernel in ["rbf", "poly", "linear", "sigmoid"]:
        classify(f"svc_{kernel}_proba_multiclass", SVC(kernel=kernel, probability=True, random_state=0), Xstr, ytr, Xste, zipmap=False)
    classify("svc_rbf_proba_binary", SVC(probability=True, random_state=0), Xbtr, ybtr, Xbte)
    classify("svc_rbf_multiclass", SVC(random_state=0), Xstr, ytr, Xste, zipmap=False)
    classify("svc_poly_binary", SVC(kernel="poly", degree=2, random_state=0), Xbtr, ybtr, Xbte, zipmap=False)
    regress("linear_regression", LinearRegression(), Xrtr, yrtr, Xrte)
    regress("linear_regression_multi", LinearRegression(), Xm[:100], ym[:100], Xm[100:])
    regress("decision_tree_regressor", DecisionTreeRegressor(max_depth=5, random_state=0), Xrtr, yrtr, Xrte)
    regress("random_forest_regressor", RandomForestRegressor(10, max_depth=5, random_state=0), Xrtr, yrtr, Xrte)
    regress("random_forest_regressor_multi", RandomForestRegressor(6, max_depth=4, random_state=0), Xm[:100], ym[:100], Xm[100:])
    regress("gradient_boosting_regressor", GradientBoostingRegressor(n_estimators=40, max_depth=3, random_state=0), Xrtr, yrtr, Xrte)
    regress("svr_rbf", SVR(C=10.0), Xrtr, yrtr / 50.0, Xrte)
    regress("svr_linear", SVR(kernel="linear"), Xrtr, yrtr / 50.0, Xrte)

    diab = load_diabetes()
    Xd = diab.data[:, :3].astype(np.float32)
    Xd = Xd * 10.0  # features of unit scale keep gamma (1 / (n * var)) moderate
    regress("svr_poly", SVR(kernel="poly", degree=3, C=5.0), Xd[:300], diab.target[:300] / 100.0, Xd[300:340])

    # A pipeline on mixed columns: numbers with gaps, a string category.
    rng = np.random.default_rng(SEED)
    n = 160
    num = rng.normal(size=(n, 3)).astype(np.float32)
    num[rng.random((n, 3)) < 0.15] = np.nan
    cat = rng.choice(["red", "green", "blue"], size=(n, 1)).astype(object)
    y = ((np.nan_to_num(num[:, 0]) + (cat[:, 0] == "red")) > 0.3).astype(np.int64)
    X = np.concatenate([num.astype(object), cat], axis=1)
    pre = ColumnTransformer(
        [
            ("num", Pipeline([("impute", SimpleImputer(strategy="mean")), ("scale", StandardScaler())]), [0, 1, 2]),
            ("cat", OneHotEncoder(handle_unknown="ignore"), [3]),
        ]
    )
    pipe = Pipeline([("pre", pre), ("clf", LogisticRegression(max_iter=1000))])
    pipe.fit(X[:120], y[:120])
    from skl2onnx import convert_sklearn

    onx = convert_sklearn(pipe, initial_types=[("num", FloatTensorType([None, 3])), ("color", StringTensorType([None, 1]))], target_opset=TARGET_OPSET)
    color = cat[120:].copy()
    color[-2:, 0] = ["purple", "red"]  # an unseen category encodes as all zeros
    save("pipeline_impute_scale_onehot_logreg", onx, {"num": num[120:], "color": color})

    # DictVectorizer: one map per run.
    words = ["alpha", "beta", "gamma", "delta", "eps"]
    dicts = [{w: float(rng.integers(0, 4)) for w in rng.choice(words, size=3, replace=False)} for _ in range(80)]
    ydv = np.array([int(d.get("alpha", 0) + d.get("beta", 0) > 2) for d in dicts])
    dv_pipe = Pipeline([("dv", DictVectorizer(sparse=False)), ("clf", LogisticRegression(max_iter=1000))])
    dv_pipe.fit(dicts, ydv)
    onx = convert_sklearn(dv_pipe, initial_types=[("input", DictionaryType(StringTensorType([]), FloatTensorType([])))], target_opset=TARGET_OPSET)
    for i, d in enumerate([{"alpha": 3.0, "gamma": 1.0}, {"beta": 2.0, "delta": 5.0, "unknown": 1.0}, {"eps": 1.0}]):
        save(f"dict_vectorizer_logreg_{i}", onx, {"input": d}, map_inputs={"input": ("string", "float32")})

    # LabelEncoder on strings.
    le = LabelEncoder().fit(["cat", "dog", "bird", "fish"])
    onx = convert_sklearn(le, initial_types=[("input", StringTensorType([None]))], target_opset=TARGET_OPSET)
    save("label_encoder_strings", onx, {"input": np.array(["dog", "bird", "fish", "cat", "dog"], dtype=object)})

    for norm in ["l1", "l2", "max"]:
        model = Normalizer(norm=norm).fit(Xte)
        onx = conv(model, Xte - 3.0)
        save(f"normalizer_{norm}", onx, {onx.graph.input[0].name: (Xte - 3.0).astype(np.float32)})
    model = Binarizer(threshold=1.5).fit(Xte)
    onx = conv(model, Xte)
    save("binarizer", onx, {onx.graph.input[0].name: Xte})
    model = StandardScaler().fit(Xtr)
    onx = conv(model, Xte)
    save("standard_scaler", onx, {onx.graph.input[0].name: Xte})
    model = OneHotEncoder().fit(np.array([[1, 5], [2, 6], [3, 5]], dtype=np.int64))
    onx = conv(model, np.array([[1, 5]], dtype=np.int64))
    save("one_hot_encoder_ints", onx, {onx.graph.input[0].name: np.array([[1, 5], [3, 6], [2, 5]], dtype=np.int64)})
    _ = (Int64TensorType,)


# ---- single ai.onnx.ml nodes -------------------------------------------------------------

MODES = ["BRANCH_LEQ", "BRANCH_LT", "BRANCH_GTE", "BRANCH_GT", "BRANCH_EQ", "BRANCH_NEQ"]


def node_model(op, attrs, inputs, outputs, ml_opset=3, opset=17):
    node = helper.make_node(op, [n for n, _ in inputs], [n for n, _ in outputs], domain="ai.onnx.ml", **attrs)
    vi = lambda n, t: helper.make_tensor_value_info(n, t, None) if isinstance(t, int) else helper.make_value_info(n, t)  # noqa: E731
    graph = helper.make_graph([node], op.lower(), [vi(n, t) for n, t in inputs], [vi(n, t) for n, t in outputs])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset), helper.make_opsetid("ai.onnx.ml", ml_opset)], ir_version=9)


def random_trees(rng, n_trees, n_feat, max_depth):
    """Random binary trees, each listed root first: [tree, node, feature, value, mode, true, false, missing]."""
    nodes, leaves = [], []
    for t in range(n_trees):
        count = [0]
        tree = []

        def build(depth):
            nid = count[0]
            count[0] += 1
            if depth >= max_depth or (depth > 0 and rng.random() < 0.3):
                tree.append([t, nid, 0, 0.0, "LEAF", 0, 0, 0])
                leaves.append((t, nid))
                return nid
            value = float(np.float32(rng.choice([0.0, 0.5, 1.0, -1.0, rng.normal()])))
            rec = [t, nid, int(rng.integers(n_feat)), value, str(rng.choice(MODES)), 0, 0, int(rng.random() < 0.5)]
            tree.append(rec)
            rec[5] = build(depth + 1)
            rec[6] = build(depth + 1)
            return nid

        build(0)
        root, rest = tree[0], tree[1:]
        rng.shuffle(rest)
        nodes += [root] + rest
    return nodes, leaves


def tree_attrs(nodes):
    return dict(
        nodes_treeids=[n[0] for n in nodes],
        nodes_nodeids=[n[1] for n in nodes],
        nodes_featureids=[n[2] for n in nodes],
        nodes_values=[n[3] for n in nodes],
        nodes_modes=[n[4] for n in nodes],
        nodes_truenodeids=[n[5] for n in nodes],
        nodes_falsenodeids=[n[6] for n in nodes],
        nodes_missing_value_tracks_true=[n[7] for n in nodes],
    )


def random_rows(rng, n, f):
    X = rng.choice([0.0, 0.5, 1.0, -1.0, np.nan, 2.0], size=(n, f)).astype(np.float32)
    X += (rng.random((n, f)) < 0.5) * rng.normal(size=(n, f)).astype(np.float32)
    return X.astype(np.float32)


def try_save(name, model, feeds, **kw):
    try:
        save(name, model, feeds, check=False, **kw)
    except Exception as e:  # onnxruntime refuses some random draws; those are not references
        print(f"  skipped {name}: {str(e).splitlines()[-1][:120]}")


def op_cases():
    rng = np.random.default_rng(SEED)
    nf = 4
    for i in range(30):
        nodes, leaves = random_trees(rng, int(rng.integers(1, 5)), nf, int(rng.integers(1, 5)))
        nt = int(rng.integers(1, 4))
        w = [(t, n, int(rng.integers(nt)), float(np.float32(rng.normal()))) for t, n in leaves for _ in range(int(rng.integers(0, 3)))]
        w = w or [(leaves[0][0], leaves[0][1], 0, 1.0)]
        attrs = tree_attrs(nodes)
        attrs.update(target_treeids=[a[0] for a in w], target_nodeids=[a[1] for a in w], target_ids=[a[2] for a in w], target_weights=[a[3] for a in w], n_targets=nt)
        attrs["aggregate_function"] = str(rng.choice(["SUM", "AVERAGE", "MIN", "MAX"]))
        attrs["post_transform"] = str(rng.choice(["NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO", "PROBIT"]))
        if rng.random() < 0.5:
            attrs["base_values"] = [float(np.float32(v)) for v in rng.normal(size=nt)]
        X = random_rows(rng, 8, nf)
        if rng.random() < 0.3:
            X = X.astype(np.float64)
        xt = TP.DOUBLE if X.dtype == np.float64 else TP.FLOAT
        try_save(f"op_tree_regressor_{i:02d}", node_model("TreeEnsembleRegressor", attrs, [("X", xt)], [("Y", TP.FLOAT)]), {"X": X})

    for i in range(40):
        nodes, leaves = random_trees(rng, int(rng.integers(1, 5)), nf, int(rng.integers(1, 4)))
        nc = int(rng.choice([2, 2, 3, 4]))
        one_class = rng.random() < 0.5
        used = [int(rng.integers(nc))] if one_class else list(range(nc))
        positive = rng.random() < 0.5
        w = []
        for t, n in leaves:
            for _ in range(int(rng.integers(1 if nc > 2 else 0, 3))):
                v = float(np.float32(rng.random() if positive else rng.normal()))
                w.append((t, n, int(rng.choice(used)), v))
        w = w or [(leaves[0][0], leaves[0][1], used[0], 0.7)]
        attrs = tree_attrs(nodes)
        attrs.update(class_treeids=[a[0] for a in w], class_nodeids=[a[1] for a in w], class_ids=[a[2] for a in w], class_weights=[a[3] for a in w])
        strings = rng.random() < 0.3
        if strings:
            attrs["classlabels_strings"] = [f"c{k}" for k in range(nc)]
        elif nc > 2 and rng.random() < 0.5:
            attrs["classlabels_int64s"] = [int(v) for v in rng.choice([1, 2, 3, 5, 7, 9, 11], size=nc, replace=False)]
        else:
            attrs["classlabels_int64s"] = list(range(nc))
        # PROBIT on a lone binary score leaves onnxruntime's second column unwritten.
        posts = ["NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO"] + (["PROBIT"] if nc > 2 else [])
        attrs["post_transform"] = str(rng.choice(posts))
        r = rng.random()
        if r < 0.3:
            attrs["base_values"] = [float(np.float32(v)) for v in rng.normal(size=nc)]
        elif r < 0.45 and nc == 2 and one_class:
            attrs["base_values"] = [float(np.float32(rng.normal()))]
        X = random_rows(rng, 8, nf)
        out_t = TP.STRING if strings else TP.INT64
        try_save(f"op_tree_classifier_{i:02d}", node_model("TreeEnsembleClassifier", attrs, [("X", TP.FLOAT)], [("Y", out_t), ("Z", TP.FLOAT)]), {"X": X})

    # TreeEnsemble (ai.onnx.ml 5).
    for i in range(12):
        n_trees = int(rng.integers(1, 4))
        nodes, leaves_w, leaves_t, roots = [], [], [], []
        members = []
        nt = int(rng.integers(1, 3))
        for _ in range(n_trees):
            roots.append(len(nodes))

            def build(depth):
                if depth >= 3 or (depth > 0 and rng.random() < 0.3):
                    leaves_w.append(float(np.float32(rng.normal())))
                    leaves_t.append(int(rng.integers(nt)))
                    return len(leaves_w) - 1, 1
                idx = len(nodes)
                mode = int(rng.integers(7))
                rec = [int(rng.integers(nf)), float(np.float32(rng.choice([0.0, 0.5, 1.0, rng.normal()]))), mode, 0, 0, 0, 0, int(rng.random() < 0.5)]
                nodes.append(rec)
                if mode == 6:
                    # onnxruntime takes whole-number members only
                    members.append(sorted(set(float(v) for v in rng.choice([0.0, 1.0, 2.0, -1.0, 3.0], size=2))))
                rec[3], rec[5] = build(depth + 1)
                rec[4], rec[6] = build(depth + 1)
                return idx, 0

            if build(0)[1] == 1:  # a lone leaf is a node whose branches both reach it
                leaf = len(leaves_w) - 1
                nodes.append([0, 0.0, 0, leaf, leaf, 1, 1, 0])
        # membership runs follow node order
        member_vals = []
        k = 0
        for rec in nodes:
            if rec[2] == 6:
                member_vals += members[k] + [float("nan")]
                k += 1
        attrs = dict(
            tree_roots=roots,
            nodes_featureids=[r[0] for r in nodes],
            nodes_splits=helper.make_tensor("s", TP.FLOAT, [len(nodes)], [r[1] for r in nodes]),
            nodes_modes=helper.make_tensor("m", TP.UINT8, [len(nodes)], [r[2] for r in nodes]),
            nodes_truenodeids=[r[3] for r in nodes],
            nodes_falsenodeids=[r[4] for r in nodes],
            nodes_trueleafs=[r[5] for r in nodes],
            nodes_falseleafs=[r[6] for r in nodes],
            nodes_missing_value_tracks_true=[r[7] for r in nodes],
            leaf_targetids=leaves_t,
            leaf_weights=helper.make_tensor("w", TP.FLOAT, [len(leaves_w)], leaves_w),
            n_targets=nt,
            aggregate_function=int(rng.integers(4)),
            # onnxruntime reads 1 as LOGISTIC and 2 as SOFTMAX, the spec the other way
            # round; only the codes both agree on are drawn.
            post_transform=int(rng.choice([0, 3, 4])),
        )
        if member_vals:
            attrs["membership_values"] = helper.make_tensor("mv", TP.FLOAT, [len(member_vals)], member_vals)
        # Whole-number rows: onnxruntime tests membership on the row value cast to an
        # integer, the spec on the value itself; they agree on whole numbers.
        X = np.round(random_rows(rng, 8, nf))
        try_save(f"op_tree_ensemble5_{i:02d}", node_model("TreeEnsemble", attrs, [("X", TP.FLOAT)], [("Y", TP.FLOAT)], ml_opset=5, opset=21), {"X": X})

    # SVMClassifier: every kernel and post transform, binary and multiclass, with and
    # without probabilities, and the linear (no support vector) mode.
    for i in range(24):
        nc = int(rng.choice([2, 3, 4]))
        f = 3
        per = [int(rng.integers(1, 4)) for _ in range(nc)]
        nv = sum(per)
        kernel = str(rng.choice(["LINEAR", "POLY", "RBF", "SIGMOID"]))
        pairs = nc * (nc - 1) // 2
        attrs = dict(
            kernel_type=kernel,
            kernel_params=[float(np.float32(rng.uniform(0.1, 0.8))), float(np.float32(rng.normal() * 0.3)), float(rng.choice([1.0, 2.0, 3.0]))],
            vectors_per_class=per,
            support_vectors=[float(np.float32(v)) for v in rng.normal(size=nv * f)],
            coefficients=[float(np.float32(v)) for v in rng.normal(size=(nc - 1) * nv)],
            rho=[float(np.float32(v)) for v in rng.normal(size=pairs)],
            post_transform=str(rng.choice(["NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO"])),
        )
        if i % 2 == 0:
            attrs["prob_a"] = [float(np.float32(v)) for v in rng.uniform(-3, -0.5, size=pairs)]
            attrs["prob_b"] = [float(np.float32(v)) for v in rng.normal(size=pairs) * 0.2]
        strings = i % 3 == 0
        if strings:
            attrs["classlabels_strings"] = [f"k{k}" for k in range(nc)]
        else:
            attrs["classlabels_ints"] = [int(v) for v in rng.choice([0, 1, 4, 6, 8], size=nc, replace=False)]
        X = rng.normal(size=(7, f)).astype(np.float32)
        try_save(f"op_svm_classifier_{i:02d}", node_model("SVMClassifier", attrs, [("X", TP.FLOAT)], [("Y", TP.STRING if strings else TP.INT64), ("Z", TP.FLOAT)]), {"X": X})
    for i in range(4):
        nc = 3
        attrs = dict(
            coefficients=[float(np.float32(v)) for v in rng.normal(size=nc * 3)],
            rho=[float(np.float32(rng.normal()))],
            kernel_params=[0.0, 0.0, 0.0],
            classlabels_ints=[0, 1, 2],
            post_transform=["NONE", "LOGISTIC", "SOFTMAX", "SOFTMAX_ZERO"][i],
        )
        X = rng.normal(size=(6, 3)).astype(np.float32)
        try_save(f"op_svm_classifier_linear_{i}", node_model("SVMClassifier", attrs, [("X", TP.FLOAT)], [("Y", TP.INT64), ("Z", TP.FLOAT)]), {"X": X})
    for i, kernel in enumerate(["LINEAR", "POLY", "RBF", "SIGMOID"]):
        nv = 4
        attrs = dict(
            kernel_type=kernel,
            kernel_params=[0.3, 0.1, 2.0],
            n_supports=nv,
            support_vectors=[float(np.float32(v)) for v in rng.normal(size=nv * 3)],
            coefficients=[float(np.float32(v)) for v in rng.normal(size=nv)],
            rho=[float(np.float32(rng.normal()))],
            one_class=int(i == 3),
        )
        X = rng.normal(size=(6, 3)).astype(np.float32)
        try_save(f"op_svm_regressor_{kernel.lower()}", node_model("SVMRegressor", attrs, [("X", TP.FLOAT)], [("Y", TP.FLOAT)]), {"X": X})

    # Small ops.
    mt = lambda k, v: helper.make_map_type_proto(k, helper.make_tensor_type_proto(v, None))  # noqa: E731
    for cast_to, ot in [("TO_FLOAT", TP.FLOAT), ("TO_STRING", TP.STRING), ("TO_INT64", TP.INT64)]:
        for form in ["DENSE", "SPARSE"]:
            attrs = dict(cast_to=cast_to, map_form=form, max_map=6)
            d = {5: 1.5, 2: -2.75, 9: 3.0, 0: 0.125}
            try_save(f"op_cast_map_{cast_to.lower()}_{form.lower()}", node_model("CastMap", attrs, [("X", mt(TP.INT64, TP.FLOAT))], [("Y", ot)], ml_opset=1), {"X": d}, map_inputs={"X": ("int64", "float32")})
    try_save(
        "op_category_mapper",
        node_model("CategoryMapper", dict(cats_strings=["a", "b", "c"], cats_int64s=[10, 20, 30], default_int64=-7), [("X", TP.STRING)], [("Y", TP.INT64)], ml_opset=1),
        {"X": np.array([["a", "zz"], ["c", "b"]], dtype=object)},
    )
    try_save(
        "op_scaler",
        node_model("Scaler", dict(offset=[1.0, 2.0, 3.0], scale=[2.0, 0.5, -1.0]), [("X", TP.FLOAT)], [("Y", TP.FLOAT)], ml_opset=1),
        {"X": rng.normal(size=(4, 3)).astype(np.float32)},
    )
    try_save(
        "op_imputer",
        node_model("Imputer", dict(imputed_value_floats=[9.0, 8.0, 7.0], replaced_value_float=float("nan")), [("X", TP.FLOAT)], [("Y", TP.FLOAT)], ml_opset=1),
        {"X": np.array([[1.0, np.nan, 3.0], [np.nan, 5.0, np.nan]], dtype=np.float32)},
    )
    try_save(
        "op_feature_vectorizer",
        node_model("FeatureVectorizer", dict(inputdimensions=[3, 1]), [("A", TP.FLOAT), ("B", TP.FLOAT)], [("Y", TP.FLOAT)], ml_opset=1),
        {"A": np.arange(4, dtype=np.float32).reshape(2, 2), "B": np.array([[5.0], [6.0]], dtype=np.float32)},
    )
    try_save(
        "op_label_encoder_v2_float_to_string",
        node_model("LabelEncoder", dict(keys_floats=[1.5, 2.0, -1.0], values_strings=["x", "y", "z"]), [("X", TP.FLOAT)], [("Y", TP.STRING)], ml_opset=2),
        {"X": np.array([1.5, -1.0, 7.0, 2.0], dtype=np.float32)},
    )
    for norm in ["MAX", "L1", "L2"]:
        try_save(
            f"op_normalizer_{norm.lower()}_int",
            node_model("Normalizer", dict(norm=norm), [("X", TP.INT64)], [("Y", TP.FLOAT)], ml_opset=1),
            {"X": np.array([[1, -2, 3], [0, 0, 0], [-4, -1, -2]], dtype=np.int64)},
        )


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    sklearn_cases()
    op_cases()
    print(f"wrote {len(CASES)} cases to {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()
