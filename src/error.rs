//! [`Error`]: Godot's `Error` codes, as this crate returns them.

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An error, numbered exactly like Godot's `@GlobalScope.Error` (`core/error/error_list.h`).
///
/// [`Error::code`] returns Godot's integer, so Godot's documentation of each ENet method maps 1:1:
/// where Godot returns `ERR_INVALID_PARAMETER` this crate returns [`Error::InvalidParameter`], and
/// `code()` is 31 in both.
///
/// ```
/// use enet::Error;
/// assert_eq!(Error::Unconfigured.code(), 3);
/// assert_eq!(Error::InvalidParameter.to_string(), "invalid parameter");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
#[repr(i32)]
pub enum Error {
    /// `FAILED` (1): ENet refused the operation (for example `enet_peer_send` on a peer that is not
    /// connected, or `enet_host_service` failing).
    #[error("operation failed")]
    Failed = 1,
    /// `ERR_UNAVAILABLE` (2): nothing to return (no queued packet), or a feature this build lacks
    /// (DTLS).
    #[error("unavailable")]
    Unavailable = 2,
    /// `ERR_UNCONFIGURED` (3): the connection has no host (never created, or destroyed), or the peer
    /// handle is no longer attached to a live peer.
    #[error("not configured (host inactive or peer not connected)")]
    Unconfigured = 3,
    /// `ERR_OUT_OF_MEMORY` (6): ENet could not allocate a packet.
    #[error("out of memory")]
    OutOfMemory = 6,
    /// `ERR_CANT_CREATE` (20): ENet could not create the host (for example the port is in use) or
    /// the outgoing connection (no free peer slot).
    #[error("can't create host or connection")]
    CantCreate = 20,
    /// `ERR_ALREADY_IN_USE` (22): the connection already has a host, or (connect_to_host) already
    /// has peers.
    #[error("already in use")]
    AlreadyInUse = 22,
    /// `ERR_CANT_RESOLVE` (26): a host name did not resolve to a usable address.
    #[error("can't resolve host name")]
    CantResolve = 26,
    /// `ERR_INVALID_PARAMETER` (31): an argument is out of its documented range.
    #[error("invalid parameter")]
    InvalidParameter = 31,
    /// `ERR_BUSY` (44): the connection is in use further up this thread's stack, so the call
    /// cannot run now: it came from inside the connection's own intercept callback (ENet is in
    /// the middle of servicing it) or from code that callback runs, or it is a `drain` inside the
    /// same connection's `drain` handler; or waiting for the connection would deadlock with
    /// another thread that holds what this thread holds. See `Connection`'s "Re-entrancy".
    #[error("busy: the connection is in use further up this thread's stack (its intercept callback or drain handler), or waiting for it would deadlock")]
    Busy = 44,
    /// `ERR_BUG` (47): an internal invariant of the multiplayer peer does not hold.
    #[error("internal error")]
    Bug = 47,
}

impl Error {
    /// Godot's numeric value of this error (`@GlobalScope.Error`).
    pub const fn code(self) -> i32 {
        self as i32
    }
}

#[cfg(test)]
mod tests {
    use super::Error;

    #[test]
    fn codes_equal_godot_error_list() {
        let table = [
            (Error::Failed, 1),
            (Error::Unavailable, 2),
            (Error::Unconfigured, 3),
            (Error::OutOfMemory, 6),
            (Error::CantCreate, 20),
            (Error::AlreadyInUse, 22),
            (Error::CantResolve, 26),
            (Error::InvalidParameter, 31),
            (Error::Busy, 44),
            (Error::Bug, 47),
        ];
        for (error, code) in table {
            assert_eq!(error.code(), code, "{error:?}");
        }
    }
}
