//! Kernel compilation needs NVRTC but no GPU, so it is checked wherever libnvrtc can be
//! found (set ONNXRUN_CUDA_LIB_DIR to its folder, e.g. a pip `nvidia-cuda-nvrtc` wheel's
//! nvidia/cu13/lib). Without NVRTC the tests say so and pass.

use onnxrun_cuda::nvrtc::{cache_key, cache_path, compile, nvrtc_version, KERNEL_NAMES, SOURCES};

fn have_nvrtc() -> bool {
    match nvrtc_version() {
        Ok((major, minor)) => {
            eprintln!("NVRTC {major}.{minor}");
            true
        }
        Err(reason) => {
            eprintln!("skipped: {reason}");
            false
        }
    }
}

#[test]
fn kernels_compile_to_a_cubin_for_hopper() {
    if !have_nvrtc() {
        return;
    }
    let img = compile(9, 0).unwrap_or_else(|e| panic!("{e}"));
    assert!(img.is_cubin, "sm_90 is known to NVRTC 12+/13: expected SASS, got PTX");
    assert_eq!(img.arch, "sm_90");
    assert_eq!(&img.bytes[..4], b"\x7fELF", "a cubin is an ELF image");
    let text = String::from_utf8_lossy(&img.bytes);
    for name in KERNEL_NAMES {
        assert!(text.contains(name), "kernel {name} missing from the cubin");
    }
}

#[test]
fn unknown_architecture_falls_back_to_ptx_the_driver_can_jit() {
    if !have_nvrtc() {
        return;
    }
    let img = compile(99, 9).unwrap_or_else(|e| panic!("{e}"));
    assert!(!img.is_cubin);
    assert!(img.arch.starts_with("compute_"), "{}", img.arch);
    assert_eq!(img.bytes.last(), Some(&0), "PTX is handed to the driver as a C string");
    let text = String::from_utf8_lossy(&img.bytes);
    for name in KERNEL_NAMES {
        assert!(text.contains(&format!(".entry {name}")), "kernel {name} missing from the PTX");
    }
}

#[test]
fn cache_key_is_versioned_and_per_architecture() {
    assert_eq!(cache_key(9, 0), cache_key(9, 0));
    assert_ne!(cache_key(9, 0), cache_key(8, 0));
    assert_eq!(cache_key(9, 0).len(), 16);
    let p = cache_path(9, 0).expect("a cache folder");
    let name = p.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("kernels-sm90-") && name.ends_with(".bin"), "{name}");
    assert!(SOURCES.iter().any(|(n, _)| *n == "common.cuh"));
}
