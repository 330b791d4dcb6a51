//! The library's global allocator: the system allocator plus a cache of large freed
//! blocks. A model allocates the same large activations on every run. Through malloc
//! alone, each of them comes back as fresh pages that fault in again (about 15k page faults
//! per PP-OCR run). The cache keeps up to `CACHE_BYTES` of freed blocks and hands them out
//! again, which is the job ONNX Runtime's arena does.
//!
//! Blocks of `MIN_CACHED` bytes or more are allocated in size classes 1/8 of a power of two
//! apart, aligned to 64 bytes, so any freed block of a class can serve the next request of
//! that class. Smaller blocks go straight to malloc, whose bins already reuse them.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;

const MIN_CACHED: usize = 256 << 10;
const CACHE_BYTES: usize = 1 << 30;
const SLOTS: usize = 128;
const ALIGN: usize = 64;

/// The class a large request is served from: `size` rounded up to an eighth of its power
/// of two, so at most 12.5% of a block goes unused (and untouched, so not resident).
pub(crate) fn class_size(size: usize) -> usize {
    let step = (size.next_power_of_two() / 8).max(4096);
    size.div_ceil(step) * step
}

struct Cache {
    /// (class size, block); a class size of 0 marks a free slot.
    slots: [(usize, usize); SLOTS],
    bytes: usize,
}

pub struct CachingAlloc {
    cache: Mutex<Cache>,
}

impl CachingAlloc {
    pub const fn new() -> Self {
        CachingAlloc { cache: Mutex::new(Cache { slots: [(0, 0); SLOTS], bytes: 0 }) }
    }

    fn large(layout: Layout) -> Option<Layout> {
        if layout.size() < MIN_CACHED || layout.align() > ALIGN {
            return None;
        }
        Layout::from_size_align(class_size(layout.size()), ALIGN).ok()
    }

    /// A cached block of exactly this class, if any.
    fn take(&self, class: usize) -> Option<*mut u8> {
        let mut c = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let slot = c.slots.iter().position(|&(s, _)| s == class)?;
        let (_, p) = std::mem::take(&mut c.slots[slot]);
        c.bytes -= class;
        Some(p as *mut u8)
    }

    /// Keeps a freed block if there is room; false hands it back to the caller to free.
    fn keep(&self, class: usize, p: *mut u8) -> bool {
        let mut c = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if c.bytes + class > CACHE_BYTES {
            return false;
        }
        match c.slots.iter().position(|&(s, _)| s == 0) {
            Some(slot) => {
                c.slots[slot] = (class, p as usize);
                c.bytes += class;
                true
            }
            None => false,
        }
    }

    #[cfg(test)]
    fn cached_bytes(&self) -> usize {
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).bytes
    }
}

impl Default for CachingAlloc {
    fn default() -> Self {
        Self::new()
    }
}

// SAFETY: every block is allocated from System with the layout `large` gives (or the
// caller's own layout for small blocks), and freed with that same layout; a cached block
// is owned by the cache alone until `take` hands it to exactly one caller.
unsafe impl GlobalAlloc for CachingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match Self::large(layout) {
            Some(big) => match self.take(big.size()) {
                Some(p) => p,
                // SAFETY: `big` has a non-zero size.
                None => unsafe { System.alloc(big) },
            },
            // SAFETY: forwarded as received.
            None => unsafe { System.alloc(layout) },
        }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match Self::large(layout) {
            Some(big) => match self.take(big.size()) {
                Some(p) => {
                    // SAFETY: the block holds at least layout.size() bytes.
                    unsafe { std::ptr::write_bytes(p, 0, layout.size()) };
                    p
                }
                // SAFETY: `big` has a non-zero size.
                None => unsafe { System.alloc_zeroed(big) },
            },
            // SAFETY: forwarded as received.
            None => unsafe { System.alloc_zeroed(layout) },
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match Self::large(layout) {
            Some(big) => {
                if !self.keep(big.size(), ptr) {
                    // SAFETY: allocated by `alloc` with exactly `big`.
                    unsafe { System.dealloc(ptr, big) }
                }
            }
            // SAFETY: allocated by `alloc` with exactly `layout`.
            None => unsafe { System.dealloc(ptr, layout) },
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: new_size is non-zero and does not overflow when rounded (GlobalAlloc's contract).
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (Self::large(layout), Self::large(new_layout)) {
            // SAFETY: a small block stays small: malloc's realloc, as received.
            (None, None) => unsafe { System.realloc(ptr, layout, new_size) },
            // Same class: the block already has room.
            (Some(a), Some(b)) if a.size() == b.size() => ptr,
            _ => {
                // SAFETY: the new block is valid for new_size bytes, the old for
                // layout.size(); they are distinct allocations.
                unsafe {
                    let p = self.alloc(new_layout);
                    if !p.is_null() {
                        std::ptr::copy_nonoverlapping(ptr, p, layout.size().min(new_size));
                        self.dealloc(ptr, layout);
                    }
                    p
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_round_up_by_at_most_an_eighth() {
        for size in [MIN_CACHED, MIN_CACHED + 1, 300_000, 1 << 20, (1 << 20) + 1, 26_214_400, 123_456_789] {
            let c = class_size(size);
            assert!(c >= size && (c - size) * 8 <= size.next_power_of_two(), "{size} -> {c}");
            assert_eq!(class_size(c), c, "a class size is its own class");
        }
    }

    #[test]
    fn freed_large_blocks_are_reused_and_zeroed_on_request() {
        let a = CachingAlloc::new();
        let layout = Layout::from_size_align(1 << 20, 8).unwrap();
        // SAFETY: each block is used within its layout and freed once with it.
        unsafe {
            let p = a.alloc(layout);
            std::ptr::write_bytes(p, 0xAB, layout.size());
            a.dealloc(p, layout);
            assert_eq!(a.cached_bytes(), class_size(1 << 20));
            // A request of another size in the same class gets the same block back.
            let smaller = Layout::from_size_align((1 << 20) - 100, 16).unwrap();
            let q = a.alloc_zeroed(smaller);
            assert_eq!(q, p);
            assert_eq!(a.cached_bytes(), 0);
            assert!(std::slice::from_raw_parts(q, smaller.size()).iter().all(|&b| b == 0));
            // Growing into another class moves the contents.
            *q = 7;
            let r = a.realloc(q, smaller, 4 << 20);
            assert_eq!(*r, 7);
            a.dealloc(r, Layout::from_size_align(4 << 20, 16).unwrap());
            // Both blocks are cached now: the old one freed by the move, then the new one.
            assert_eq!(a.cached_bytes(), class_size(1 << 20) + class_size(4 << 20));
        }
    }

    #[test]
    fn small_blocks_and_the_cap_go_to_the_system() {
        let a = CachingAlloc::new();
        let small = Layout::from_size_align(1000, 8).unwrap();
        let huge = Layout::from_size_align(CACHE_BYTES / 2 + 1, 64).unwrap();
        // SAFETY: as above; the huge blocks are never touched, so they stay virtual.
        unsafe {
            let p = a.alloc(small);
            a.dealloc(p, small);
            assert_eq!(a.cached_bytes(), 0);
            let (x, y) = (a.alloc(huge), a.alloc(huge));
            assert!(!x.is_null() && !y.is_null());
            a.dealloc(x, huge);
            a.dealloc(y, huge);
            assert_eq!(a.cached_bytes(), class_size(huge.size()), "the second block would pass the cap");
            let z = a.alloc(huge);
            a.dealloc(z, huge);
        }
    }
}
