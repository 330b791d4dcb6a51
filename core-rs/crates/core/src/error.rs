//! One error type for the whole runtime. Codes are ONNX Runtime's OrtErrorCode numbers so
//! the C ABI and the TypeScript error classes map one to one.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum ErrorCode {
    Fail = 1,
    InvalidArgument = 2,
    NoSuchFile = 3,
    NoModel = 4,
    EngineError = 5,
    RuntimeException = 6,
    InvalidProtobuf = 7,
    ModelLoaded = 8,
    NotImplemented = 9,
    InvalidGraph = 10,
    EpFail = 11,
}

#[derive(Clone, Debug)]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error { code, message: message.into() }
    }
    /// Prefixes the message with where it happened (a node, an input), keeping the code.
    pub fn context(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{:?}] {}", self.code, self.message)
    }
}

impl std::error::Error for Error {}

/// `err!(InvalidArgument, "bad {}", x)` builds an [`Error`].
#[macro_export]
macro_rules! err {
    ($code:ident, $($arg:tt)*) => {
        $crate::Error::new($crate::ErrorCode::$code, format!($($arg)*))
    };
}

/// `bail!(InvalidArgument, "bad {}", x)` returns an [`Error`] from the current function.
#[macro_export]
macro_rules! bail {
    ($code:ident, $($arg:tt)*) => {
        return Err($crate::err!($code, $($arg)*))
    };
}

/// `ensure!(cond, InvalidArgument, "...")` bails unless `cond` holds.
#[macro_export]
macro_rules! ensure {
    ($cond:expr, $code:ident, $($arg:tt)*) => {
        if !($cond) {
            $crate::bail!($code, $($arg)*);
        }
    };
}
