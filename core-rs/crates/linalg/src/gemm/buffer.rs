//! Cache-line aligned scratch storage for packed panels.

use super::Element;
use std::cell::RefCell;

/// One cache line. Packed panels start on a line so the kernels' vector loads never split.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([u8; 64]);

/// A growable, 64-byte aligned buffer viewed as a slice of any `Element`.
#[derive(Default)]
pub(crate) struct AlignedBuf {
    lines: Vec<Line>,
}

impl AlignedBuf {
    pub(crate) fn with_len<T: Element>(len: usize) -> Self {
        let mut buf = AlignedBuf::default();
        buf.resize::<T>(len);
        buf
    }

    fn resize<T: Element>(&mut self, len: usize) {
        let bytes = len
            .checked_mul(std::mem::size_of::<T>())
            .expect("packed buffer size overflows usize");
        let lines = bytes.div_ceil(64);
        if self.lines.len() < lines {
            self.lines.resize(lines, Line([0; 64]));
        }
    }

    fn capacity_bytes(&self) -> usize {
        self.lines.len() * 64
    }

    pub(crate) fn as_slice<T: Element>(&self, len: usize) -> &[T] {
        assert!(len * std::mem::size_of::<T>() <= self.capacity_bytes());
        // SAFETY: the lines hold at least `len` T's worth of initialised bytes, the start is
        // 64-byte aligned (more than any Element needs), and Element is sealed to f32/f64,
        // for which every bit pattern is a valid value.
        unsafe { std::slice::from_raw_parts(self.lines.as_ptr() as *const T, len) }
    }

    /// The first `len` elements, growing the buffer if needed.
    pub(crate) fn as_mut_slice<T: Element>(&mut self, len: usize) -> &mut [T] {
        self.resize::<T>(len);
        // SAFETY: as in `as_slice`; `&mut self` makes the view unique.
        unsafe { std::slice::from_raw_parts_mut(self.lines.as_mut_ptr() as *mut T, len) }
    }
}

/// Thread-local scratch buffers above this size are given back after use rather than kept.
const KEEP_LIMIT_BYTES: usize = 8 << 20;

thread_local! {
    static A_SCRATCH: RefCell<AlignedBuf> = RefCell::new(AlignedBuf::default());
    static B_SCRATCH: RefCell<AlignedBuf> = RefCell::new(AlignedBuf::default());
}

#[derive(Clone, Copy)]
pub(crate) enum Scratch {
    /// Per-thread buffer for one packed block of A.
    A,
    /// Per-thread buffer for a whole packed B, used by calls without a prepacked B.
    B,
}

/// Runs `f` with this thread's scratch buffer of the given kind (or a fresh one if it is
/// already in use further up the stack).
pub(crate) fn with_scratch<R>(kind: Scratch, f: impl FnOnce(&mut AlignedBuf) -> R) -> R {
    let key = match kind {
        Scratch::A => &A_SCRATCH,
        Scratch::B => &B_SCRATCH,
    };
    key.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => {
            let r = f(&mut buf);
            if buf.capacity_bytes() > KEEP_LIMIT_BYTES {
                *buf = AlignedBuf::default();
            }
            r
        }
        Err(_) => f(&mut AlignedBuf::default()),
    })
}
