//! idle: a command that waits for a signal and does nothing else. Its
//! whole life is its execve and pause(2), ended by the default action of
//! whatever signal comes (SIGTERM: killed by it, 143 through rinit).
//!
//! No C library and no Rust start-up code: tests/denied_calls.rs runs
//! rinit under a seccomp filter that its command inherits, and a call
//! denied to rinit must not also stop the command from starting (a C
//! library's start-up makes most of the calls rinit makes). Built by the
//! tests with rustc alone (tests/common: `idle()`), x86_64 only.
#![no_std]
#![no_main]

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}

#[no_mangle]
extern "C" fn _start() -> ! {
    loop {
        // SAFETY: pause(2) (34 on x86_64) takes no argument and touches no
        // memory; if it is denied too, this loop only spins until a signal
        // ends the process.
        unsafe {
            core::arch::asm!(
                "syscall",
                inlateout("rax") 34usize => _,
                lateout("rcx") _,
                lateout("r11") _,
                options(nostack)
            )
        };
    }
}
