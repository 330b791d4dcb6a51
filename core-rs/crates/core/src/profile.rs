//! Profiling: timed events written as a Chrome trace (the format Perfetto and
//! chrome://tracing open), like ONNX Runtime's `enable_profiling`.

use crate::session::Step;
use crate::Result;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

struct Event {
    cat: &'static str,
    name: String,
    ts_us: u128,
    dur_us: u128,
    args: Vec<(&'static str, String)>,
}

pub struct Profiler {
    origin: Instant,
    prefix: String,
    events: Mutex<Vec<Event>>,
}

fn json_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

impl Profiler {
    pub fn new(prefix: &str) -> Profiler {
        Profiler { origin: Instant::now(), prefix: if prefix.is_empty() { "onnxruntime_profile_".into() } else { prefix.to_string() }, events: Mutex::new(Vec::new()) }
    }

    pub fn event(&self, cat: &'static str, name: &str, start: Instant, args: Vec<(&'static str, String)>) {
        let ev = Event {
            cat,
            name: name.to_string(),
            ts_us: start.duration_since(self.origin).as_micros(),
            dur_us: start.elapsed().as_micros(),
            args,
        };
        if let Ok(mut evs) = self.events.lock() {
            evs.push(ev);
        }
    }

    pub(crate) fn node_event(&self, step: &Step, provider: &str, start: Instant) {
        let (name, op) = match &step.op {
            crate::session::StepOp::Kernel { info, .. } => (if info.name.is_empty() { info.op_type.clone() } else { info.name.clone() }, info.op_type.clone()),
            _ => (step.label(), "MemcpyTransfer".to_string()),
        };
        self.event("Node", &format!("{name}_kernel_time"), start, vec![("op_name", op), ("provider", provider.to_string())]);
    }

    /// Writes `<prefix>_<date>.json` in the working folder and returns its path.
    pub fn write(&self) -> Result<String> {
        let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
        let path = format!("{}_{secs}.json", self.prefix.trim_end_matches('_'));
        let pid = std::process::id();
        let mut out = String::from("[\n");
        let evs = self.events.lock().map_err(|_| err!(Fail, "profiler lock poisoned"))?;
        for (i, e) in evs.iter().enumerate() {
            let args: Vec<String> = e.args.iter().map(|(k, v)| format!("{}:{}", json_str(k), json_str(v))).collect();
            let _ = write!(
                out,
                "{{\"cat\":{},\"pid\":{pid},\"tid\":0,\"dur\":{},\"ts\":{},\"ph\":\"X\",\"name\":{},\"args\":{{{}}}}}{}\n",
                json_str(e.cat),
                e.dur_us,
                e.ts_us,
                json_str(&e.name),
                args.join(","),
                if i + 1 < evs.len() { "," } else { "" }
            );
        }
        out.push(']');
        std::fs::write(&path, out).map_err(|e| err!(Fail, "cannot write profile '{path}': {e}"))?;
        Ok(path)
    }
}
