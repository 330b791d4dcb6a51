//! Expands calls to model-local functions into their bodies, renaming the body's
//! internal values so that several calls never collide.

use crate::graph::{Attribute, Function, Node};
use crate::Result;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};

static CALLS: AtomicUsize = AtomicUsize::new(0);

/// Nodes with every call to one of `functions` replaced by the function body.
pub fn inline_functions(nodes: &[Node], functions: &[Function]) -> Result<Vec<Node>> {
    if functions.is_empty() {
        return Ok(nodes.to_vec());
    }
    let mut out = Vec::with_capacity(nodes.len());
    expand(nodes, functions, &mut out, 0)?;
    Ok(out)
}

fn expand(nodes: &[Node], functions: &[Function], out: &mut Vec<Node>, depth: usize) -> Result<()> {
    if depth > 64 {
        bail!(InvalidGraph, "functions call each other more than 64 levels deep (recursion?)");
    }
    for node in nodes {
        let f = functions.iter().find(|f| f.name == node.op_type && f.domain == node.domain);
        match f {
            Some(f) => {
                let body = instantiate(f, node)?;
                expand(&body, functions, out, depth + 1)?;
            }
            None => out.push(node.clone()),
        }
    }
    Ok(())
}

fn instantiate(f: &Function, call: &Node) -> Result<Vec<Node>> {
    let id = CALLS.fetch_add(1, Ordering::Relaxed);
    let mut rename: HashMap<&str, String> = HashMap::new();
    for (i, formal) in f.inputs.iter().enumerate() {
        rename.insert(formal, call.inputs.get(i).cloned().unwrap_or_default());
    }
    for (i, formal) in f.outputs.iter().enumerate() {
        rename.insert(formal, call.outputs.get(i).cloned().unwrap_or_default());
    }
    let map_name = |n: &str| -> String {
        if n.is_empty() {
            return String::new();
        }
        rename.get(n).cloned().unwrap_or_else(|| format!("{}__{}_{id}", n, f.name))
    };
    let mut body = Vec::with_capacity(f.nodes.len());
    for n in &f.nodes {
        let mut m = n.clone();
        m.inputs = n.inputs.iter().map(|s| map_name(s)).collect();
        m.outputs = n.outputs.iter().map(|s| map_name(s)).collect();
        if m.name.is_empty() {
            m.name = format!("{}/{}_{id}", call.name, n.op_type);
        } else {
            m.name = format!("{}/{}", call.name, n.name);
        }
        m.attrs = Vec::with_capacity(n.attrs.len());
        for (name, a) in &n.attrs {
            match a {
                Attribute::Ref(r) => {
                    let v = call.attr(r).or_else(|| f.attr_defaults.iter().find(|(k, _)| k == r).map(|(_, v)| v));
                    if let Some(v) = v {
                        m.attrs.push((name.clone(), v.clone()));
                    }
                }
                other => m.attrs.push((name.clone(), other.clone())),
            }
        }
        if m.opset.is_none() {
            m.opset = f.opsets.get(&m.domain).copied();
        }
        body.push(m);
    }
    Ok(body)
}
