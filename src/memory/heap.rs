//! Where rinit's memory comes from: the kernel's anonymous mappings, with
//! no C library allocator in between.
//!
//! rinit allocates a little at start (its arguments, settings) and, once
//! the command runs, only process tables it reserves fallibly. musl's
//! mallocng is 9 kB of code and keeps pages of its own resident; this is a
//! few hundred bytes. Small blocks (up to 128 KiB) come in powers of two,
//! carved from 1 MiB arenas (only what is touched is resident) and kept on
//! a free list per size once freed, as a C allocator keeps them; a larger
//! one is a mapping of its own, grown in place or moved by
//! mremap(2) (a table that grows is never copied by hand) and unmapped
//! when freed. A failure is the null pointer: what it means is `memory`'s
//! to decide.

use std::alloc::Layout;
use std::cell::UnsafeCell;
use std::hint::spin_loop;
use std::ptr::{self, null_mut};
use std::sync::atomic::{AtomicBool, Ordering};

/// The smallest block, and the number of sizes: 16 B to 128 KiB.
const SMALLEST: usize = 16;
const CLASSES: usize = 14;
/// The largest small block: larger ones are mappings of their own.
const LARGEST: usize = SMALLEST << (CLASSES - 1);
/// What a mapping's length is rounded to (and the least it is aligned to).
const PAGE: usize = 4096;
/// How much is mapped at a time for small blocks.
const ARENA: usize = 1024 * 1024;

struct State {
    /// Per size, the freed blocks, each holding the next one's address.
    free: [*mut u8; CLASSES],
    /// What is left of the current arena: [bump, end).
    bump: *mut u8,
    end: *mut u8,
}

struct Heap {
    /// A spin lock: allocations are rare and short, and the log's writer
    /// thread is the only other thread.
    lock: AtomicBool,
    state: UnsafeCell<State>,
}

// SAFETY: `state` is only touched with `lock` held (see `locked`).
unsafe impl Sync for Heap {}

static HEAP: Heap = Heap {
    lock: AtomicBool::new(false),
    state: UnsafeCell::new(State {
        free: [null_mut(); CLASSES],
        bump: null_mut(),
        end: null_mut(),
    }),
};

/// The first arena: in the program's zeroed data (.bss), which the kernel
/// sets up with the program, so start-up makes no mapping of its own. Not
/// page aligned (blocks are aligned as they are carved): aligned, it would
/// align all of .bss, and `HEAP` and the C library's statics would take a
/// page each of their own instead of sharing the data's: a page fault each
/// at every start (docs/benchmarks.md has what that measured).
struct First(UnsafeCell<[u8; ARENA]>);

// SAFETY: handed to the heap once, under its lock (see `alloc`).
unsafe impl Sync for First {}

static FIRST: First = First(UnsafeCell::new([0; ARENA]));

fn locked<R>(f: impl FnOnce(&mut State) -> R) -> R {
    while HEAP
        .lock
        .compare_exchange_weak(false, true, Ordering::Acquire, Ordering::Relaxed)
        .is_err()
    {
        spin_loop();
    }
    // SAFETY: the lock is held: nobody else has the state.
    let result = f(unsafe { &mut *HEAP.state.get() });
    HEAP.lock.store(false, Ordering::Release);
    result
}

/// The size class of a layout, None for a large one. A block of a class
/// is aligned to its size or a page, whichever is less, so alignments up
/// to a page are met (beyond one, a mapping could not meet them either).
fn class(size: usize, align: usize) -> Option<usize> {
    let n = size.max(align).max(SMALLEST);
    (n <= LARGEST && align <= PAGE)
        .then(|| (n.next_power_of_two().trailing_zeros() - SMALLEST.trailing_zeros()) as usize)
}

fn pages(size: usize) -> usize {
    size.div_ceil(PAGE) * PAGE
}

fn map(len: usize) -> *mut u8 {
    // SAFETY: a new private anonymous mapping; nothing of ours is touched.
    let p = unsafe {
        libc::mmap(
            null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    match p {
        libc::MAP_FAILED => null_mut(),
        p => p.cast(),
    }
}

/// A block for `layout`, or null.
pub fn alloc(layout: Layout) -> *mut u8 {
    let Some(class) = class(layout.size(), layout.align()) else {
        return match layout.align() <= PAGE {
            true => map(pages(layout.size())),
            false => null_mut(),
        };
    };
    let size = SMALLEST << class;
    locked(|s| {
        let Some(head) = s.free.get_mut(class) else {
            return null_mut();
        };
        if !head.is_null() {
            let block = *head;
            // SAFETY: a freed block of this class holds the next one's address.
            *head = unsafe { block.cast::<*mut u8>().read() };
            return block;
        }
        // Carved at the next multiple of its size or a page.
        let align = size.min(PAGE);
        let mut start = (s.bump as usize).next_multiple_of(align);
        if s.bump.is_null() || start + size > s.end as usize {
            let arena = match s.bump.is_null() {
                true => FIRST.0.get().cast::<u8>(),
                false => map(ARENA),
            };
            if arena.is_null() {
                return null_mut();
            }
            s.bump = arena;
            // SAFETY: the end of the arena just taken.
            s.end = unsafe { arena.add(ARENA) };
            // Within it: a page of alignment and the largest block fit.
            start = (arena as usize).next_multiple_of(align);
        }
        // SAFETY: `start` lies within the arena, at or after `bump`.
        s.bump = unsafe { s.bump.add(start - s.bump as usize) };
        carve(s, size)
    })
}

/// The block at the arena's bump pointer (aligned, and with room).
fn carve(s: &mut State, size: usize) -> *mut u8 {
    let block = s.bump;
    // SAFETY: `block + size` is within the arena (checked by the caller).
    s.bump = unsafe { block.add(size) };
    block
}

/// A zeroed block: fresh mappings are zero already, reused blocks are not.
pub fn alloc_zeroed(layout: Layout) -> *mut u8 {
    let p = alloc(layout);
    if !p.is_null() && class(layout.size(), layout.align()).is_some() {
        // SAFETY: a block of at least `layout.size()` bytes, ours now.
        unsafe { ptr::write_bytes(p, 0, layout.size()) };
    }
    p
}

/// Gives back `p`, which `alloc` returned for `layout`.
///
/// # Safety
/// `p` came from this heap for exactly `layout`, and is not used again.
pub unsafe fn dealloc(p: *mut u8, layout: Layout) {
    let Some(class) = class(layout.size(), layout.align()) else {
        // SAFETY: a mapping of its own, of this length (see `alloc`).
        unsafe { libc::munmap(p.cast(), pages(layout.size())) };
        return;
    };
    locked(|s| {
        if let Some(head) = s.free.get_mut(class) {
            // SAFETY: the block is ours again and at least 16 bytes.
            unsafe { p.cast::<*mut u8>().write(*head) };
            *head = p;
        }
    });
}

/// `p` resized to `new_size`, or null (and `p` untouched).
///
/// # Safety
/// `p` came from this heap for exactly `layout`.
pub unsafe fn realloc(p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
    let old = class(layout.size(), layout.align());
    let new = class(new_size, layout.align());
    match (old, new) {
        (Some(a), Some(b)) if a == b => return p,
        (None, None) => {
            // SAFETY: a mapping of its own, of this length; moved if it must.
            let q = unsafe {
                libc::mremap(
                    p.cast(),
                    pages(layout.size()),
                    pages(new_size),
                    libc::MREMAP_MAYMOVE,
                )
            };
            return match q {
                libc::MAP_FAILED => null_mut(),
                q => q.cast(),
            };
        }
        _ => {}
    }
    let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else {
        return null_mut();
    };
    let q = alloc(new_layout);
    if !q.is_null() {
        // SAFETY: both blocks hold at least the smaller size, and differ.
        unsafe {
            ptr::copy_nonoverlapping(p, q, layout.size().min(new_size));
            dealloc(p, layout);
        }
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_go_to_their_class_or_a_mapping() {
        assert_eq!(class(0, 1), Some(0));
        assert_eq!(class(16, 8), Some(0));
        assert_eq!(class(17, 8), Some(1));
        assert_eq!(class(1, 64), Some(2));
        assert_eq!(class(4096, 8), Some(8));
        assert_eq!(class(4097, 8), Some(9));
        assert_eq!(class(128 * 1024, 8), Some(13));
        assert_eq!(class(128 * 1024 + 1, 8), None);
        assert_eq!(class(8, 8192), None);
    }

    #[test]
    fn blocks_are_aligned_distinct_reused_and_grow_keeping_their_bytes() {
        let mut held = Vec::new();
        for size in [1, 16, 24, 100, 1000, 4096, 5000, 100_000, 200_000] {
            for align in [1, 8, 16, 64, 4096] {
                let layout = Layout::from_size_align(size, align).unwrap();
                let p = alloc(layout);
                assert!(!p.is_null());
                assert_eq!(p as usize % align, 0, "{size} {align}");
                // SAFETY: the block is ours and this long.
                unsafe { ptr::write_bytes(p, 0xab, size) };
                held.push((p, layout));
            }
        }
        let mut starts: Vec<usize> = held.iter().map(|(p, _)| *p as usize).collect();
        starts.sort_unstable();
        starts.dedup();
        assert_eq!(starts.len(), held.len());
        for (p, layout) in held {
            // SAFETY: each block is given back once, with its layout.
            unsafe { dealloc(p, layout) };
        }
        // A freed block of a class comes back for that class.
        let layout = Layout::from_size_align(200, 8).unwrap();
        let a = alloc(layout);
        unsafe { dealloc(a, layout) };
        assert_eq!(alloc(layout), a);
        // Growing across small and large sizes keeps the bytes.
        let mut p = a;
        let mut layout = layout;
        unsafe { ptr::write_bytes(p, 7, 200) };
        for size in [300, 4096, 70_000, 1_000_000, 50, 16] {
            p = unsafe { realloc(p, layout, size) };
            assert!(!p.is_null());
            let kept = layout.size().min(size).min(50);
            assert!((0..kept).all(|i| unsafe { *p.add(i) } == 7), "{size}");
            layout = Layout::from_size_align(size, 8).unwrap();
        }
        unsafe { dealloc(p, layout) };
        let zeroed = alloc_zeroed(Layout::from_size_align(200, 8).unwrap());
        assert!((0..200).all(|i| unsafe { *zeroed.add(i) } == 0));
    }
}
