//! Just enough of the protobuf wire format to build ONNX models and to mutate them field by
//! field, without a protobuf crate in the capi crate's dependencies: a message is a list of
//! (field number, value), and a length-delimited value is held as a sub-message where the
//! ONNX schema says it is one (and it parses), else as bytes. Field numbers are onnx.proto's.

/// The ONNX messages the mutator tells apart; every other length-delimited field is bytes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Model,
    Graph,
    Node,
    Attr,
    Tensor,
    Sparse,
    ValueInfo,
    Type,
    /// TypeProto.Tensor and .SparseTensor: elem_type = 1, shape = 2.
    TypeTensor,
    /// TypeProto.Sequence and .Optional: elem_type = 1.
    TypeElem,
    /// TypeProto.Map: key_type = 1, value_type = 2.
    TypeMap,
    Shape,
    Dim,
    Opset,
    /// StringStringEntryProto: key = 1, value = 2.
    Entry,
    Function,
}

impl Kind {
    /// The message kind of field `field` of this message, if it is a message.
    fn child(self, field: u32) -> Option<Kind> {
        use Kind::*;
        Some(match (self, field) {
            (Model, 7) => Graph,
            (Model, 8) | (Function, 9) => Opset,
            (Model, 14) | (Tensor, 13) => Entry,
            (Model, 25) => Function,
            (Graph, 1) | (Function, 7) => Node,
            (Graph, 5) | (Attr, 5 | 10) | (Sparse, 1 | 2) => Tensor,
            (Graph, 11..=13) | (Function, 12) => ValueInfo,
            (Graph, 15) | (Attr, 22 | 23) => Sparse,
            (Node, 5) | (Function, 11) => Attr,
            (Attr, 6 | 11) => Graph,
            (Attr, 14 | 15) | (ValueInfo, 2) | (TypeElem, 1) | (TypeMap, 2) => Type,
            (Type, 1 | 8) => TypeTensor,
            (Type, 4 | 9) => TypeElem,
            (Type, 5) => TypeMap,
            (TypeTensor, 2) => Shape,
            (Shape, 1) => Dim,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug)]
pub enum Val {
    Varint(u64),
    Fixed64(u64),
    Bytes(Vec<u8>),
    Msg(Msg),
    Fixed32(u32),
}

#[derive(Clone, Debug)]
pub struct Msg {
    pub kind: Kind,
    pub fields: Vec<(u32, Val)>,
}

/// Deeper than prost's own recursion limit (100), so over-nested mutants still re-encode.
const MAX_DEPTH: usize = 120;

fn read_varint(b: &[u8], pos: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..70).step_by(7) {
        let byte = *b.get(*pos)?;
        *pos += 1;
        v |= ((byte & 0x7f) as u64).checked_shl(shift).unwrap_or(0);
        if byte & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn fixed<const N: usize>(b: &[u8], pos: &mut usize) -> Option<[u8; N]> {
    let a = b.get(*pos..*pos + N)?.try_into().ok()?;
    *pos += N;
    Some(a)
}

/// Parses `b` as a message of `kind`; None when it is not well-formed protobuf.
pub fn decode(kind: Kind, b: &[u8]) -> Option<Msg> {
    decode_at(kind, b, 0)
}

fn decode_at(kind: Kind, b: &[u8], depth: usize) -> Option<Msg> {
    let mut fields = Vec::new();
    let mut pos = 0;
    while pos < b.len() {
        let key = read_varint(b, &mut pos)?;
        let field = u32::try_from(key >> 3).ok().filter(|&f| f > 0)?;
        let val = match key & 7 {
            0 => Val::Varint(read_varint(b, &mut pos)?),
            1 => Val::Fixed64(u64::from_le_bytes(fixed(b, &mut pos)?)),
            2 => {
                let len = usize::try_from(read_varint(b, &mut pos)?).ok()?;
                let body = b.get(pos..pos.checked_add(len)?)?;
                pos += len;
                match kind.child(field).filter(|_| depth < MAX_DEPTH) {
                    Some(k) => decode_at(k, body, depth + 1).map(Val::Msg).unwrap_or_else(|| Val::Bytes(body.to_vec())),
                    None => Val::Bytes(body.to_vec()),
                }
            }
            5 => Val::Fixed32(u32::from_le_bytes(fixed(b, &mut pos)?)),
            _ => return None,
        };
        fields.push((field, val));
    }
    Some(Msg { kind, fields })
}

pub fn encode(m: &Msg) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(m, &mut out);
    out
}

fn encode_into(m: &Msg, out: &mut Vec<u8>) {
    for (field, val) in &m.fields {
        let key = (*field as u64) << 3;
        match val {
            Val::Varint(v) => {
                put_varint(out, key);
                put_varint(out, *v);
            }
            Val::Fixed64(v) => {
                put_varint(out, key | 1);
                out.extend_from_slice(&v.to_le_bytes());
            }
            Val::Bytes(b) => {
                put_varint(out, key | 2);
                put_varint(out, b.len() as u64);
                out.extend_from_slice(b);
            }
            Val::Msg(sub) => {
                let body = encode(sub);
                put_varint(out, key | 2);
                put_varint(out, body.len() as u64);
                out.extend_from_slice(&body);
            }
            Val::Fixed32(v) => {
                put_varint(out, key | 5);
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
    }
}

/// Builders (consuming, for seed models) and edits (in place, for mutations).
impl Msg {
    pub fn new(kind: Kind) -> Msg {
        Msg { kind, fields: Vec::new() }
    }
    pub fn int(mut self, field: u32, v: i64) -> Msg {
        self.fields.push((field, Val::Varint(v as u64)));
        self
    }
    pub fn str(self, field: u32, s: &str) -> Msg {
        self.bytes(field, s.as_bytes().to_vec())
    }
    pub fn bytes(mut self, field: u32, b: Vec<u8>) -> Msg {
        self.fields.push((field, Val::Bytes(b)));
        self
    }
    pub fn msg(mut self, field: u32, m: Msg) -> Msg {
        self.fields.push((field, Val::Msg(m)));
        self
    }
    pub fn msgs(self, field: u32, ms: impl IntoIterator<Item = Msg>) -> Msg {
        ms.into_iter().fold(self, |acc, m| acc.msg(field, m))
    }

    /// Positions in `fields` of field number `field`.
    pub fn positions(&self, field: u32) -> Vec<usize> {
        self.fields.iter().enumerate().filter(|(_, (f, _))| *f == field).map(|(i, _)| i).collect()
    }
    /// Replaces every occurrence of `field` by one value.
    pub fn set(&mut self, field: u32, v: Val) {
        self.remove(field);
        self.fields.push((field, v));
    }
    pub fn remove(&mut self, field: u32) {
        self.fields.retain(|(f, _)| *f != field);
    }
    /// The last value of a varint field, as protobuf reads a repeated scalar.
    pub fn varint(&self, field: u32) -> Option<u64> {
        self.fields.iter().rev().find_map(|(f, v)| match v {
            Val::Varint(x) if *f == field => Some(*x),
            _ => None,
        })
    }
    pub fn children(&self, field: u32) -> impl Iterator<Item = &Msg> {
        self.fields.iter().filter_map(move |(f, v)| match v {
            Val::Msg(m) if *f == field => Some(m),
            _ => None,
        })
    }
}

/// How many messages of `kind` `m` holds, itself included.
pub fn count(m: &Msg, kind: Kind) -> usize {
    let sub: usize = m.fields.iter().map(|(_, v)| if let Val::Msg(c) = v { count(c, kind) } else { 0 }).sum();
    sub + usize::from(m.kind == kind)
}

/// The `k`-th message of `kind` in depth-first order, `m` itself first.
pub fn nth_mut<'a>(m: &'a mut Msg, kind: Kind, k: &mut usize) -> Option<&'a mut Msg> {
    if m.kind == kind {
        if *k == 0 {
            return Some(m);
        }
        *k -= 1;
    }
    for (_, v) in m.fields.iter_mut() {
        if let Val::Msg(c) = v {
            if let Some(found) = nth_mut(c, kind, k) {
                return Some(found);
            }
        }
    }
    None
}
