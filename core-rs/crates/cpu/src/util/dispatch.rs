//! Dtype dispatch: run one generic body for the Rust type behind a runtime DataType.
//! `dispatch!(dtype, T => body, [f32, f64, ...], else err)` binds `T` in `body`.

/// `dispatch!(dt, T => expr, [types...], else fallback)`: matches `dt` against the listed
/// Rust element types and evaluates `expr` with `T` aliased to the matching one.
#[macro_export]
macro_rules! dispatch {
    ($dt:expr, $T:ident => $body:expr, [$($ty:ty),* $(,)?], else $fallback:expr) => {{
        let __dt = $dt;
        $(
            if __dt == <$ty as onnxrun_core::Element>::DTYPE {
                #[allow(dead_code)]
                type $T = $ty;
                $crate::return_or_value!($body)
            } else
        )*
        { $fallback }
    }};
}

#[doc(hidden)]
#[macro_export]
macro_rules! return_or_value {
    ($e:expr) => {
        $e
    };
}

/// All real numeric element types (no bool, no strings).
#[macro_export]
macro_rules! dispatch_numeric {
    ($dt:expr, $T:ident => $body:expr, else $fallback:expr) => {
        $crate::dispatch!($dt, $T => $body,
            [f32, f64, onnxrun_core::half::f16, onnxrun_core::half::bf16, i8, i16, i32, i64, u8, u16, u32, u64], else $fallback)
    };
}

/// Floating-point element types.
#[macro_export]
macro_rules! dispatch_float {
    ($dt:expr, $T:ident => $body:expr, else $fallback:expr) => {
        $crate::dispatch!($dt, $T => $body, [f32, f64, onnxrun_core::half::f16, onnxrun_core::half::bf16], else $fallback)
    };
}

/// Integer element types.
#[macro_export]
macro_rules! dispatch_int {
    ($dt:expr, $T:ident => $body:expr, else $fallback:expr) => {
        $crate::dispatch!($dt, $T => $body, [i8, i16, i32, i64, u8, u16, u32, u64], else $fallback)
    };
}

/// Every fixed-size element type held as itself (numeric + bool).
#[macro_export]
macro_rules! dispatch_all {
    ($dt:expr, $T:ident => $body:expr, else $fallback:expr) => {
        $crate::dispatch!($dt, $T => $body,
            [f32, f64, onnxrun_core::half::f16, onnxrun_core::half::bf16, i8, i16, i32, i64, u8, u16, u32, u64, bool], else $fallback)
    };
}

#[cfg(test)]
mod tests {
    use onnxrun_core::DataType;

    #[test]
    fn dispatch_binds_the_right_type() {
        // Each bound type has the core table's element size; strings and sub-byte types fall through.
        let mut bound = 0;
        for dt in DataType::ALL {
            if let Some(size) = crate::dispatch_all!(dt, T => Some(std::mem::size_of::<T>()), else None) {
                assert_eq!(size, dt.size(), "{dt}");
                bound += 1;
            }
        }
        assert_eq!(bound, 13);
        assert_eq!(crate::dispatch_float!(DataType::Bfloat16, T => std::mem::size_of::<T>(), else 0), 2);
        assert_eq!(crate::dispatch_float!(DataType::Int8, T => std::mem::size_of::<T>(), else 0), 0);
    }
}
