//! Sorting in place, for the process tables and lists: a heapsort, n log n
//! in the worst case, no allocation, and a few hundred bytes of code for
//! each element type where std's sorts cost kilobytes for each call site's
//! closure (the tiny build is a product feature).

/// Sorts `items` so that no item is `less` than the one before it; not
/// stable. `less` is a function pointer, so every call site sorting the
/// same type shares one copy of this wrapper, and every type the one
/// heapsort below.
#[inline(never)]
pub fn sort<T>(items: &mut [T], less: fn(&T, &T) -> bool) {
    heapsort(items.len(), &mut |i, j, swap| {
        if swap {
            items.swap(i, j);
            return false;
        }
        matches!((items.get(i), items.get(j)), (Some(a), Some(b)) if less(a, b))
    });
}

/// The heapsort over positions 0..len: `at(i, j, false)` says whether
/// item i is less than item j, `at(i, j, true)` swaps them.
fn heapsort(len: usize, at: &mut dyn FnMut(usize, usize, bool) -> bool) {
    // A max-heap of the whole slice, then its top moved to the end, one by one.
    for root in (0..len / 2).rev() {
        sift_down(at, root, len);
    }
    for end in (1..len).rev() {
        at(0, end, true);
        sift_down(at, 0, end);
    }
}

/// Moves the item at `root` down the heap of the first `end` items until
/// neither child is greater.
fn sift_down(at: &mut dyn FnMut(usize, usize, bool) -> bool, mut root: usize, end: usize) {
    loop {
        let mut child = 2 * root + 1;
        if child >= end {
            return;
        }
        if child + 1 < end && at(child, child + 1, false) {
            child += 1;
        }
        if !at(root, child, false) {
            return;
        }
        at(root, child, true);
        root = child;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_like_std_on_every_small_shape_and_a_large_one() {
        let mut seed = 12345u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as i32
        };
        for len in 0..40 {
            for modulo in [1, 3, 1000] {
                let mut v: Vec<i32> = (0..len).map(|_| next() % modulo).collect();
                let mut expected = v.clone();
                expected.sort_unstable();
                sort(&mut v, |a, b| a < b);
                assert_eq!(v, expected, "{len} {modulo}");
            }
        }
        let mut big: Vec<i32> = (0..100_000).map(|_| next()).collect();
        let mut expected = big.clone();
        expected.sort_unstable();
        sort(&mut big, |a, b| a < b);
        assert_eq!(big, expected);
        let mut descending: Vec<i32> = (0..1000).rev().collect();
        sort(&mut descending, |a, b| a < b);
        assert!(descending.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn sorts_by_what_less_compares() {
        let mut pairs = vec![(3, 'a'), (1, 'b'), (2, 'c'), (1, 'd')];
        sort(&mut pairs, |a, b| (a.0, b.1) < (b.0, a.1));
        assert_eq!(pairs, [(1, 'd'), (1, 'b'), (2, 'c'), (3, 'a')]);
    }
}
