//! ZipMap: each row of class scores becomes a map from class label to score; the output is
//! a sequence of maps, one per row.

use onnxrun_core::{bail, ensure, DataType, Kernel, KernelDef, KernelRegistry, MapValue, NodeInfo, OpContext, Result, Tensor, TypeInfo, Value};

pub fn register(r: &mut KernelRegistry) {
    r.register(KernelDef::new("ai.onnx.ml", "ZipMap", 1, zipmap));
}

struct ZipMap {
    /// The distinct labels, in first-seen order, as a 1-D tensor shared by every map.
    keys: Tensor,
    /// For each distinct label, the input column it takes its score from (the last one
    /// when a label repeats: later columns overwrite earlier ones).
    cols: Vec<usize>,
    /// Number of labels as given (= columns the input must have).
    width: usize,
}

fn zipmap(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let ints = node.get_ints("classlabels_int64s")?;
    let strings = node.get_strings("classlabels_strings")?;
    let (keys, cols, width) = match (ints, strings) {
        (Some(v), None) => {
            let (k, c) = dedup(&v);
            (Tensor::from_vec(vec![k.len()], k)?, c, v.len())
        }
        (None, Some(v)) => {
            let (k, c) = dedup(&v);
            (Tensor::from_strings(vec![k.len()], k)?, c, v.len())
        }
        _ => bail!(InvalidGraph, "{}: exactly one of classlabels_int64s and classlabels_strings must be set", node.describe()),
    };
    Ok(Box::new(ZipMap { keys, cols, width }))
}

fn dedup<T: Clone + PartialEq>(labels: &[T]) -> (Vec<T>, Vec<usize>) {
    let mut keys: Vec<T> = Vec::new();
    let mut cols = Vec::new();
    for (i, l) in labels.iter().enumerate() {
        match keys.iter().position(|k| k == l) {
            Some(p) => cols[p] = i,
            None => {
                keys.push(l.clone());
                cols.push(i);
            }
        }
    }
    (keys, cols)
}

impl Kernel for ZipMap {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let what = ctx.node.describe();
        let x = ctx.input(0)?;
        ensure!(x.dtype() == DataType::Float, InvalidArgument, "{what}: input must be float, got {}", x.dtype());
        let (n, c) = match x.shape() {
            [c] => (1, *c),
            [n, c] => (*n, *c),
            s => bail!(InvalidArgument, "{what}: input must be 1-D or 2-D, got shape {s:?}"),
        };
        ensure!(c == self.width, InvalidArgument, "{what}: input has {c} scores per row but there are {} class labels", self.width);
        let data = x.data::<f32>()?;
        let items = (0..n)
            .map(|r| {
                let row = &data[r * c..(r + 1) * c];
                let vals: Vec<f32> = self.cols.iter().map(|&j| row[j]).collect();
                Ok(Value::Map(MapValue { keys: self.keys.clone(), values: Box::new(Value::Tensor(Tensor::from_vec(vec![vals.len()], vals)?)) }))
            })
            .collect::<Result<Vec<_>>>()?;
        let elem = TypeInfo::Map(self.keys.dtype(), Box::new(TypeInfo::tensor(DataType::Float)));
        ctx.set_output(0, Value::Sequence { elem, items })
    }
}
