//! [`Wake`]: wakes a thread waiting in `service`/`drain` for its timeout when another thread
//! gives it work (queues a packet, starts a connection, destroys the host), so a datagram queued
//! from a game thread leaves within microseconds instead of when the network thread's wait ends.
//!
//! A waiting thread polls its host's socket and the read end of a non-blocking pipe; a thread
//! that gave it work writes one byte to the write end. The waiter announces itself *before* its
//! last service pass: work queued before that pass is sent by it, work queued after it finds the
//! announcement and wakes the wait (both sides order through `waiting`, sequentially consistent).

use once_cell::sync::OnceCell;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The wake-up of one connection.
#[derive(Default)]
pub(crate) struct Wake {
    /// Threads between their announcement and the end of their wait.
    waiting: AtomicUsize,
    /// Created by the first announcement; `None` if the pipe could not be made (the wait then
    /// runs its full timeout, as without wake-ups).
    pipe: OnceCell<Option<Pipe>>,
}

struct Pipe {
    read: OwnedFd,
    write: OwnedFd,
}

impl Pipe {
    fn new() -> Option<Pipe> {
        let mut fds = [0 as RawFd; 2];
        // SAFETY: `fds` is a valid out-array of two descriptors.
        if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
            return None;
        }
        // SAFETY: pipe() just returned these two descriptors, owned by nobody else.
        let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        for fd in [&read, &write] {
            // SAFETY: fcntl on a descriptor we own; setting flags touches no memory.
            let ok = unsafe {
                libc::fcntl(fd.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) == 0
                    && libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) == 0
            };
            if !ok {
                return None;
            }
        }
        Some(Pipe { read, write })
    }
}

/// A thread's announced wait; ends when dropped.
pub(crate) struct Waiting<'a> {
    wake: &'a Wake,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.wake.waiting.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Wake {
    /// Announces that this thread may wait after its next service pass (see the module docs).
    pub(crate) fn announce(&self) -> Waiting<'_> {
        self.pipe.get_or_init(Pipe::new);
        self.waiting.fetch_add(1, Ordering::SeqCst);
        Waiting { wake: self }
    }

    /// Wakes the waiting thread, if any: call after giving it work.
    pub(crate) fn notify(&self) {
        if self.waiting.load(Ordering::SeqCst) == 0 {
            return;
        }
        if let Some(Some(pipe)) = self.pipe.get() {
            // SAFETY: a one-byte write from a valid buffer to a descriptor we own. A full pipe
            // (EAGAIN) already holds a wake-up; nothing else can fail that matters.
            unsafe { libc::write(pipe.write.as_raw_fd(), [1u8].as_ptr().cast(), 1) };
        }
    }
}

impl Waiting<'_> {
    /// Waits until `socket` is readable, a wake-up arrives or `timeout` passes (an interrupted
    /// wait just returns early: the caller loops until its deadline).
    pub(crate) fn wait(&self, socket: RawFd, timeout: Duration) {
        let pipe = self.wake.pipe.get().and_then(Option::as_ref);
        let mut fds = [
            libc::pollfd {
                fd: socket,
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: pipe.map_or(-1, |pipe| pipe.read.as_raw_fd()),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        let ms = timeout.as_millis().clamp(1, i32::MAX as u128) as i32;
        // SAFETY: `fds` is an array of two valid pollfds (a negative fd is ignored by poll). A
        // socket closed by a concurrent destroy only makes poll return early or wait out the
        // timeout; no memory is involved.
        unsafe { libc::poll(fds.as_mut_ptr(), 2, ms) };
        if let Some(pipe) = pipe.filter(|_| fds[1].revents != 0) {
            let mut buffer = [0u8; 64];
            // SAFETY: reads into a valid local buffer of its length, from a non-blocking
            // descriptor we own, until it is empty.
            while unsafe {
                libc::read(
                    pipe.read.as_raw_fd(),
                    buffer.as_mut_ptr().cast(),
                    buffer.len(),
                )
            } > 0
            {}
        }
    }
}
