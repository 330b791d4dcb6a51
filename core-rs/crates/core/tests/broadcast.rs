//! The shared broadcasting module against a naive scalar oracle: random shape sets
//! (seeded), each output element's operand indices computed from coordinates alone.

use onnxrun_core::broadcast::{broadcast_coalesced, broadcast_dims, broadcast_shape, broadcast_strides, coalesce};
use onnxrun_core::Dim;

/// splitmix64: a fixed seed gives the same cases on every run, no dependency needed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Per output position, the one size other than 1 (or 1); None where two sizes clash.
fn naive_shape(shapes: &[Vec<usize>]) -> Option<Vec<usize>> {
    let rank = shapes.iter().map(Vec::len).max().unwrap_or(0);
    (0..rank)
        .map(|p| {
            let sizes: Vec<usize> = shapes.iter().filter(|s| p + s.len() >= rank).map(|s| s[p + s.len() - rank]).filter(|&d| d != 1).collect();
            match sizes.first() {
                None => Some(1),
                Some(&d) => sizes.iter().all(|&x| x == d).then_some(d),
            }
        })
        .collect()
}

/// The coordinates of output element `flat`, row-major.
fn coords(out: &[usize], mut flat: usize) -> Vec<usize> {
    let mut c = vec![0; out.len()];
    for d in (0..out.len()).rev() {
        c[d] = flat % out[d];
        flat /= out[d];
    }
    c
}

/// Operand `shape`'s flat index for output coordinates `c`: size-1 dims read index 0.
fn naive_index(shape: &[usize], c: &[usize]) -> usize {
    let pad = c.len() - shape.len();
    shape.iter().enumerate().fold(0, |idx, (i, &s)| idx * s + if s == 1 { 0 } else { c[pad + i] })
}

fn dot(c: &[usize], s: &[usize]) -> usize {
    c.iter().zip(s).map(|(a, b)| a * b).sum()
}

/// Sizes 1 to 3 clash often enough to test errors; 0 now and then for empty outputs.
fn random_shapes(rng: &mut Rng) -> Vec<Vec<usize>> {
    let n = 1 + rng.below(4);
    (0..n)
        .map(|_| {
            let rank = rng.below(5);
            (0..rank).map(|_| if rng.below(20) == 0 { 0 } else { [1, 1, 2, 3][rng.below(4)] }).collect()
        })
        .collect()
}

#[test]
fn broadcasting_matches_a_naive_oracle_on_random_shapes() {
    let mut rng = Rng(0x0b5e_55ed);
    let (mut compatible, mut clashing) = (0, 0);
    for case in 0..4000 {
        let shapes = random_shapes(&mut rng);
        let refs: Vec<&[usize]> = shapes.iter().map(Vec::as_slice).collect();
        let Some(out) = naive_shape(&shapes) else {
            clashing += 1;
            let e = broadcast_shape(&refs).expect_err(&format!("case {case}: {shapes:?} must not broadcast"));
            assert!(e.message.contains("cannot be broadcast") && e.message.contains("dimension"), "{}", e.message);
            assert!(broadcast_coalesced(&refs).is_err());
            continue;
        };
        compatible += 1;
        assert_eq!(broadcast_shape(&refs).unwrap(), out, "case {case}: {shapes:?}");
        let c = broadcast_coalesced(&refs).unwrap();
        assert_eq!(c.shape, out);
        // Coalesced dims: no 1s, the same element count, and no neighbours left that every
        // operand walks contiguously.
        assert!(c.dims.iter().all(|&d| d != 1), "case {case}: {:?}", c.dims);
        assert_eq!(c.dims.iter().product::<usize>(), out.iter().product::<usize>());
        for d in 1..c.dims.len() {
            assert!(!c.strides.iter().all(|s| s[d - 1] == s[d] * c.dims[d]), "case {case}: dims {:?} strides {:?} not merged", c.dims, c.strides);
        }
        let full: Vec<Vec<usize>> = shapes.iter().map(|s| broadcast_strides(s, out.len(), 1)).collect();
        assert_eq!(coalesce(&out, &full), (c.dims.clone(), c.strides.clone()));
        let total: usize = out.iter().product();
        for flat in 0..total {
            let (oc, cc) = (coords(&out, flat), coords(&c.dims, flat));
            for (k, s) in shapes.iter().enumerate() {
                let want = naive_index(s, &oc);
                assert_eq!(dot(&oc, &full[k]), want, "case {case}: strides of {s:?} in {out:?}");
                assert_eq!(dot(&cc, &c.strides[k]), want, "case {case}: coalesced {s:?} in {out:?}");
                assert_eq!(dot(&oc, &broadcast_strides(s, out.len(), 7)), 7 * want, "case {case}: unit 7");
            }
        }
        // Declared dims: all known gives the concrete result. Sizes other than 1 made
        // symbolic in some operands stay known where another operand keeps them known.
        let known: Vec<Vec<Dim>> = shapes.iter().map(|s| s.iter().map(|&d| Dim::Known(d as i64)).collect()).collect();
        let krefs: Vec<&[Dim]> = known.iter().map(Vec::as_slice).collect();
        assert_eq!(broadcast_dims(&krefs), out.iter().map(|&d| Dim::Known(d as i64)).collect::<Vec<_>>());
        let rank = out.len();
        let mut kept_known = vec![false; rank];
        let declared: Vec<Vec<Dim>> = shapes
            .iter()
            .map(|s| {
                let to_symbol = rng.below(2) == 0;
                s.iter()
                    .enumerate()
                    .map(|(i, &d)| {
                        let p = rank - s.len() + i;
                        match d {
                            1 => Dim::Known(1),
                            _ if to_symbol => Dim::Symbolic(format!("s{p}")),
                            _ => {
                                kept_known[p] = true;
                                Dim::Known(d as i64)
                            }
                        }
                    })
                    .collect()
            })
            .collect();
        let want: Vec<Dim> = (0..rank)
            .map(|p| match out[p] {
                1 => Dim::Known(1),
                d if kept_known[p] => Dim::Known(d as i64),
                _ => Dim::Symbolic(format!("s{p}")),
            })
            .collect();
        let drefs: Vec<&[Dim]> = declared.iter().map(Vec::as_slice).collect();
        assert_eq!(broadcast_dims(&drefs), want, "case {case}: {declared:?}");
    }
    assert!(compatible > 1000 && clashing > 500, "{compatible} compatible, {clashing} clashing cases");
}

#[test]
fn named_cases() {
    assert_eq!(broadcast_shape(&[&[2, 1, 3], &[4, 1]]).unwrap(), vec![2, 4, 3]);
    assert_eq!(broadcast_shape(&[&[], &[5]]).unwrap(), vec![5]);
    assert_eq!(broadcast_shape(&[]).unwrap(), Vec::<usize>::new());
    let e = broadcast_shape(&[&[2, 3], &[3, 2]]).unwrap_err();
    assert!(e.message.contains("dimension 0 is 2 vs 3"), "{}", e.message);
    assert_eq!(broadcast_strides(&[4, 1], 3, 1), vec![0, 1, 0]);
    assert_eq!(broadcast_strides(&[2, 1, 3], 3, 1), vec![3, 0, 1]);
    // Same shape: one dimension. A row bias repeats: two. All size 1: a scalar.
    assert_eq!(coalesce(&[2, 3, 4], &[vec![12, 4, 1], vec![12, 4, 1]]), (vec![24], vec![vec![1], vec![1]]));
    assert_eq!(coalesce(&[2, 3, 4], &[vec![12, 4, 1], vec![0, 0, 1]]), (vec![6, 4], vec![vec![4, 1], vec![0, 1]]));
    assert!(coalesce(&[1, 1], &[vec![0, 0]]).0.is_empty());
    // Unknown dims stay unknown next to 1 and give way to a known size; clashing symbols
    // are unknown.
    let s = |n: &str| Dim::Symbolic(n.into());
    assert_eq!(broadcast_dims(&[&[Dim::Unknown], &[Dim::Known(1)]]), vec![Dim::Unknown]);
    assert_eq!(broadcast_dims(&[&[Dim::Unknown], &[Dim::Known(4)]]), vec![Dim::Known(4)]);
    assert_eq!(broadcast_dims(&[&[s("n")], &[s("m")]]), vec![Dim::Unknown]);
    assert_eq!(broadcast_dims(&[&[s("n"), Dim::Known(3)], &[Dim::Unknown]]), vec![s("n"), Dim::Known(3)]);
}
