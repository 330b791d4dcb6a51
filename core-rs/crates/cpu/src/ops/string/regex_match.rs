//! RegexFullMatch (opset 20). The pattern is RE2 syntax; it is compiled once, at kernel
//! creation, with the `regex` crate (same syntax family and the same linear-time
//! guarantee: no backreferences or lookaround). Where the two dialects differ the pattern
//! is rewritten first so it means what RE2 means:
//! - `\d \w \s \b` and their negations are ASCII-only in RE2 (Unicode in `regex`);
//! - `\Q...\E` quoting, octal escapes `\0`, `\12`, `\123`, and `\C` (any byte);
//! - a `{` that does not start a valid repetition is a literal; counts above 1000 are errors;
//! - inside a class, `[` (unless `[:name:]`), `&`, `~` and a second `-` are literals
//!   (`regex` reads nested classes and set operations there).
//!
//! The whole pattern is anchored (`\A(?:...)\z`) and matched against each element's bytes.

use crate::util::parallel::{for_chunks_mut, pool_for};
use onnxrun_core::{ensure, err, DataType, Kernel, NodeInfo, OpContext, Result, Tensor};
use regex::bytes::{Regex, RegexBuilder};

struct RegexFullMatch {
    re: Regex,
}

pub(super) fn create(node: &NodeInfo) -> Result<Box<dyn Kernel>> {
    let pattern = node
        .get_string("pattern")?
        .ok_or_else(|| err!(InvalidGraph, "{}: required attribute 'pattern' is missing", node.describe()))?;
    let bad = |why: String| err!(InvalidGraph, "{}: invalid regex pattern {pattern:?}: {why}", node.describe());
    let translated = translate(&pattern).map_err(bad)?;
    let re = RegexBuilder::new(&format!(r"\A(?:{translated})\z"))
        .size_limit(64 << 20)
        .build()
        .map_err(|e| bad(e.to_string()))?;
    Ok(Box::new(RegexFullMatch { re }))
}

impl Kernel for RegexFullMatch {
    fn compute(&self, ctx: &mut OpContext<'_>) -> Result<()> {
        let x = ctx.input(0)?;
        ensure!(x.dtype() == DataType::String, InvalidArgument, "{}: input must be a string tensor, got {}", ctx.node.describe(), x.dtype());
        let xs = x.strings()?;
        let mut out = vec![false; xs.len()];
        let work: usize = xs.iter().map(|s| s.len() + 16).sum();
        const CHUNK: usize = 256;
        for_chunks_mut(pool_for(ctx, work), &mut out, CHUNK, |i, part| {
            for (o, s) in part.iter_mut().zip(&xs[i * CHUNK..]) {
                *o = self.re.is_match(s.as_bytes());
            }
        })?;
        ctx.set_output(0, Tensor::from_vec(x.shape().to_vec(), out)?)
    }
}

const WORD: &str = "0-9A-Za-z_";
const SPACE: &str = r"\t\n\f\r ";

/// RE2 pattern → equivalent `regex` pattern (see the module doc), or why it is invalid.
fn translate(p: &str) -> std::result::Result<String, String> {
    let chars: Vec<char> = p.chars().collect();
    let mut out = String::with_capacity(p.len() + 16);
    let mut i = 0;
    let mut depth = 0usize;
    let mut in_class = false;
    let mut last_dash = false;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            let Some(&e) = chars.get(i + 1) else { return Err("trailing backslash".into()) };
            i += 2;
            last_dash = false;
            match e {
                'd' => out.push_str(if in_class { "0-9" } else { "[0-9]" }),
                'w' => {
                    if in_class {
                        out.push_str(WORD)
                    } else {
                        // ASCII mode so (?i) does not fold in U+017F or the Kelvin sign.
                        out.push_str(&format!("(?-u:[{WORD}])"))
                    }
                }
                's' => out.push_str(&if in_class { SPACE.to_string() } else { format!("[{SPACE}]") }),
                'D' => out.push_str("[^0-9]"),
                'W' => out.push_str(&format!("[^{WORD}]")),
                'S' => out.push_str(&format!("[^{SPACE}]")),
                'b' | 'B' if !in_class => out.push_str(if e == 'b' { r"(?-u:\b)" } else { r"(?-u:\B)" }),
                'C' if !in_class => out.push_str("(?s-u:.)"),
                'Q' if !in_class => {
                    while i < chars.len() {
                        if chars[i] == '\\' && chars.get(i + 1) == Some(&'E') {
                            i += 2;
                            break;
                        }
                        let mut buf = [0u8; 4];
                        out.push_str(&regex::escape(chars[i].encode_utf8(&mut buf)));
                        i += 1;
                    }
                }
                'E' if !in_class => {} // a stray \E ends nothing, as in RE2
                '0'..='7' => {
                    // \0 starts an octal escape; \1-\7 only with another octal digit
                    // (alone it would be a backreference, which RE2 rejects).
                    let mut digits = String::from(e);
                    while digits.len() < 3 && chars.get(i).is_some_and(|d| ('0'..='7').contains(d)) {
                        digits.push(chars[i]);
                        i += 1;
                    }
                    if e != '0' && digits.len() == 1 {
                        return Err(format!("backreference \\{e} is not supported"));
                    }
                    let v = u32::from_str_radix(&digits, 8).map_err(|e| e.to_string())?;
                    out.push_str(&format!(r"\x{{{v:x}}}"));
                }
                '8' | '9' => return Err(format!("backreference \\{e} is not supported")),
                'p' | 'P' | 'x' => {
                    // \p{Name} / \x{hex}: the braces belong to the escape, not a repetition.
                    out.push('\\');
                    out.push(e);
                    if chars.get(i) == Some(&'{') {
                        let Some(len) = chars[i..].iter().position(|&c| c == '}') else {
                            return Err(format!("unterminated \\{e}{{"));
                        };
                        out.extend(&chars[i..=i + len]);
                        i += len + 1;
                    }
                }
                _ => {
                    out.push('\\');
                    out.push(e);
                }
            }
            continue;
        }
        if in_class {
            match c {
                ']' => {
                    in_class = false;
                    out.push(']');
                }
                '[' if chars.get(i + 1) == Some(&':') => {
                    // A POSIX class [:name:] — copy through its closing ":]".
                    let rest: String = chars[i..].iter().collect();
                    let Some(end) = rest.find(":]") else { return Err("unterminated [: in class".into()) };
                    out.push_str(&rest[..end + 2]);
                    i += rest[..end + 2].chars().count();
                    last_dash = false;
                    continue;
                }
                '[' | '&' | '~' => {
                    out.push('\\');
                    out.push(c);
                }
                '-' if last_dash => {
                    out.push_str(r"\-");
                    i += 1;
                    last_dash = false;
                    continue;
                }
                _ => out.push(c),
            }
            last_dash = c == '-';
            i += 1;
            continue;
        }
        match c {
            '[' => {
                out.push('[');
                i += 1;
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                // A ']' right after '[' or '[^' is a literal member.
                if chars.get(i) == Some(&']') {
                    out.push_str(r"\]");
                    i += 1;
                }
                in_class = true;
                last_dash = false;
                continue;
            }
            '(' => depth += 1,
            ')' => {
                if depth == 0 {
                    return Err("unmatched ')'".into());
                }
                depth -= 1;
            }
            '{' => match repetition(&chars[i..]) {
                Some((len, max)) => {
                    if max > 1000 {
                        return Err(format!("repetition count {max} exceeds 1000"));
                    }
                    out.extend(&chars[i..i + len]);
                    i += len;
                    continue;
                }
                None => {
                    out.push_str(r"\{");
                    i += 1;
                    continue;
                }
            },
            '}' => {
                out.push_str(r"\}");
                i += 1;
                continue;
            }
            _ => {}
        }
        out.push(c);
        i += 1;
    }
    if in_class {
        return Err("missing closing ]".into());
    }
    if depth != 0 {
        return Err("missing closing )".into());
    }
    Ok(out)
}

/// `{n}`, `{n,}` or `{n,m}` at the start of `s`: its length in chars and its largest count.
fn repetition(s: &[char]) -> Option<(usize, u64)> {
    let mut i = 1;
    let num = |i: &mut usize| -> Option<u64> {
        let start = *i;
        while s.get(*i).is_some_and(|c| c.is_ascii_digit()) {
            *i += 1;
        }
        if *i == start {
            return None;
        }
        Some(s[start..*i].iter().collect::<String>().parse().unwrap_or(u64::MAX))
    };
    let lo = num(&mut i)?;
    let mut hi = lo;
    if s.get(i) == Some(&',') {
        i += 1;
        if let Some(m) = num(&mut i) {
            hi = m;
        }
    }
    if s.get(i) != Some(&'}') {
        return None;
    }
    Some((i + 1, lo.max(hi)))
}

#[cfg(test)]
mod tests {
    use super::translate;

    #[test]
    fn rewrites_re2_dialect() {
        assert_eq!(translate(r"\d+").unwrap(), "[0-9]+");
        assert_eq!(translate(r"[\w.-]").unwrap(), "[0-9A-Za-z_.-]");
        assert_eq!(translate(r"\Qa.b\E").unwrap(), r"a\.b");
        assert_eq!(translate(r"\012").unwrap(), r"\x{a}");
        assert_eq!(translate(r"a{,3}").unwrap(), r"a\{,3\}");
        assert_eq!(translate(r"[]a]").unwrap(), r"[\]a]");
        assert_eq!(translate(r"[a[&]").unwrap(), r"[a\[\&]");
        assert_eq!(translate(r"[[:alpha:]x]").unwrap(), r"[[:alpha:]x]");
        assert!(translate(r"(a)\1").is_err());
        assert!(translate(r"a{1001}").is_err());
        assert!(translate(r"a)").is_err());
        assert!(translate(r"[a").is_err());
    }
}
