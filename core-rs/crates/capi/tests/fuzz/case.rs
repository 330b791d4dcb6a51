//! Case files: a model (`NAME.onnx`) plus `NAME.case`, the session options and each run's
//! feed specs as text. Findings are saved this way, regression cases are replayed from it,
//! and in long mode the input being run is kept as `current.*` so a crash leaves it behind.

use crate::feeds::RunSpec;
use std::io::Write;
use std::path::{Path, PathBuf};

pub struct Case {
    pub label: String,
    pub options: String,
    pub runs: Vec<RunSpec>,
}

impl Case {
    pub fn text(&self) -> String {
        let mut s = format!("# onnxrun fuzz case: {}\noptions {}\n", self.label, self.options);
        for r in &self.runs {
            s.push_str(&r.to_line());
            s.push('\n');
        }
        s
    }

    pub fn parse(label: String, text: &str) -> Result<Case, String> {
        let mut case = Case { label, options: String::new(), runs: Vec::new() };
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            if let Some(o) = line.strip_prefix("options ") {
                case.options = o.to_string();
            } else {
                case.runs.push(RunSpec::parse(line).ok_or_else(|| format!("bad line in case file: {line}"))?);
            }
        }
        Ok(case)
    }

    /// Writes `dir/name.onnx` and `dir/name.case`.
    pub fn save(&self, dir: &Path, name: &str, model: &[u8]) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join(format!("{name}.onnx")), model)?;
        let path = dir.join(format!("{name}.case"));
        std::fs::write(&path, self.text())?;
        Ok(path)
    }
}

/// The input being run, on disk before each call when `dir` is set (long mode).
pub struct Current {
    pub dir: Option<PathBuf>,
}

impl Current {
    pub fn case_path(&self) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join("current.case"))
    }

    pub fn begin(&self, case: &Case, model: &[u8]) {
        if let Some(d) = &self.dir {
            case.save(d, "current", model).expect("write the current fuzz input");
        }
    }

    /// Appends the run about to start, flushed, so a crash in it is on disk.
    pub fn push(&self, run: &RunSpec) {
        if let Some(p) = self.case_path() {
            let mut f = std::fs::OpenOptions::new().append(true).open(p).expect("open current.case");
            writeln!(f, "{}", run.to_line()).expect("append to current.case");
        }
    }

    /// The input finished without crashing.
    pub fn end(&self) {
        if let Some(d) = &self.dir {
            let _ = std::fs::remove_file(d.join("current.onnx"));
            let _ = std::fs::remove_file(d.join("current.case"));
        }
    }
}
