//! Sorting in place, for the process tables and lists: a heapsort, n log n
//! in the worst case, no allocation, and a few hundred bytes of code for
//! each element type where std's sorts cost kilobytes for each call site's
//! closure (the tiny build is a product feature).

/// Sorts `items` so that no item is `less` than the one before it; not
/// stable. `less` is a function pointer, so every call site sorting the
/// same type shares one copy of the code.
#[inline(never)]
pub fn sort<T>(items: &mut [T], less: fn(&T, &T) -> bool) {
    let len = items.len();
    // A max-heap of the whole slice, then its top moved to the end, one by one.
    for root in (0..len / 2).rev() {
        sift_down(items, root, len, less);
    }
    for end in (1..len).rev() {
        items.swap(0, end);
        sift_down(items, 0, end, less);
    }
}

/// Moves `items[root]` down the heap of `items[..end]` until neither child
/// is greater.
fn sift_down<T>(items: &mut [T], mut root: usize, end: usize, less: fn(&T, &T) -> bool) {
    loop {
        let mut child = 2 * root + 1;
        if child >= end {
            return;
        }
        if child + 1 < end {
            if let (Some(left), Some(right)) = (items.get(child), items.get(child + 1)) {
                if less(left, right) {
                    child += 1;
                }
            }
        }
        match (items.get(root), items.get(child)) {
            (Some(parent), Some(larger)) if less(parent, larger) => {}
            _ => return,
        }
        items.swap(root, child);
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
