//! Every signal disposition and terminal mode awscred changes, in one place.
//!
//! Undoes what awscred has changed while it obtains a code, when it cannot
//! return normally: a signal (SIGTERM, SIGHUP, SIGQUIT at the prompt; SIGINT
//! too while `mfa_process` runs) or a panic. It puts back the terminal's
//! modes (rpassword leaves echo and the signal keys off until it returns)
//! and kills `mfa_process`'s process group. Everything reachable from the
//! signal handler is async-signal-safe: atomics, `tcsetattr`, `kill`, `write`.

use libc::c_int;
use std::cell::UnsafeCell;
use std::fs::File;
use std::mem::MaybeUninit;
use std::os::unix::io::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// At the prompt SIGINT stays ignored: rpassword raises it for Ctrl-C
/// and then returns `Interrupted` (see `IgnoreSigint`).
pub const AT_PROMPT: [c_int; 3] = [libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];
/// `mfa_process` has its own process group, so Ctrl-C reaches only awscred:
/// the handler passes it on by killing the group.
pub const WITH_SIGINT: [c_int; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

/// A descriptor of `/dev/tty` while its modes are saved in `TTY_MODES`, else -1.
static TTY_FD: AtomicI32 = AtomicI32::new(-1);
/// Set while `exec --server` passes signals on to its command: its
/// handlers stay, and a signal ends the command, after which awscred
/// calls [`undo`] and exits as the command did.
static FORWARDING: AtomicBool = AtomicBool::new(false);

/// Whether another part of awscred owns the signal handlers (see `FORWARDING`).
pub fn set_forwarding(on: bool) {
    FORWARDING.store(on, Ordering::Release);
}
static TTY_MODES: Modes = Modes(UnsafeCell::new(MaybeUninit::uninit()));
/// The process groups (their leaders' pids) of the commands running
/// now, 0 for a free slot: `mfa_process` and a dialog race each other.
static CHILD_GROUPS: [AtomicI32; 4] = [const { AtomicI32::new(0) }; 4];
/// Set while a [`Handlers`] is installed: an inner one (a command run
/// while the race's handlers are up) leaves them, so dropping it cannot
/// take them away from the other side of the race.
static INSTALLED: AtomicBool = AtomicBool::new(false);

struct Modes(UnsafeCell<MaybeUninit<libc::termios>>);

// SAFETY: written only while TTY_FD is -1 (nobody reads it then), and read
// only after a Release store of TTY_FD made the write visible.
unsafe impl Sync for Modes {}

/// The terminal's modes, saved before the prompt changes them, for a
/// handler to put back. Dropping it forgets them.
pub struct Terminal {
    _tty: File,
}

impl Terminal {
    pub fn save() -> Option<Terminal> {
        let tty = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .ok()?;
        if TTY_FD.load(Ordering::Acquire) >= 0 {
            return None; // one prompt at a time; never overwrite modes in use
        }
        // SAFETY: tcgetattr fills the termios; TTY_FD is -1, so no handler reads it now.
        let saved = unsafe { libc::tcgetattr(tty.as_raw_fd(), (*TTY_MODES.0.get()).as_mut_ptr()) };
        if saved != 0 {
            return None;
        }
        TTY_FD.store(tty.as_raw_fd(), Ordering::Release);
        Some(Terminal { _tty: tty })
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        // Before the descriptor is closed (the field drops after this).
        TTY_FD.store(-1, Ordering::Release);
    }
}

/// Records the group of a running command for a handler to kill.
pub fn set_child_group(pid: u32) {
    let Ok(pid) = i32::try_from(pid) else { return };
    for slot in &CHILD_GROUPS {
        if slot
            .compare_exchange(0, pid, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            return;
        }
    }
}

/// Forgets the group, if it is recorded.
pub fn forget_child_group(pid: u32) {
    if let Ok(pid) = i32::try_from(pid) {
        for slot in &CHILD_GROUPS {
            let _ = slot.compare_exchange(pid, 0, Ordering::AcqRel, Ordering::Acquire);
        }
    }
}

/// SIGKILL to a process and everything it started (its process group).
pub fn kill_group(pid: u32) {
    match i32::try_from(pid) {
        // SAFETY: kill() with a negative pid signals that process group only.
        Ok(group) if group > 0 => unsafe {
            libc::kill(-group, libc::SIGKILL);
        },
        _ => {}
    }
}

/// Puts the terminal back and stops `mfa_process`. Async-signal-safe; also
/// called by the panic hook.
pub fn undo() {
    let fd = TTY_FD.load(Ordering::Acquire);
    if fd >= 0 {
        // SAFETY: TTY_MODES holds a termios from tcgetattr (published by
        // the Release store of fd, which stays open until TTY_FD is -1).
        unsafe {
            libc::tcsetattr(fd, libc::TCSANOW, (*TTY_MODES.0.get()).as_ptr());
        }
        // Off the prompt's line, as rpassword does for Ctrl-C.
        write_all(fd, b"\n");
    }
    for slot in &CHILD_GROUPS {
        let group = slot.load(Ordering::Acquire);
        if group > 0 {
            kill_group(group.unsigned_abs());
        }
    }
}

/// `write` until done or failed; nothing else is safe in a handler.
fn write_all(fd: c_int, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: writes from a valid slice; write() is async-signal-safe.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n > 0 {
            bytes = &bytes[n as usize..];
        } else if n < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
            continue;
        } else {
            return;
        }
    }
}

extern "C" fn on_signal(sig: c_int) {
    undo();
    // Nothing is on stdout yet (main prints at the end): give `eval` its failure line.
    write_all(1, crate::error::failure_line().as_bytes());
    write_all(
        2,
        b"awscred: stopped by a signal while getting the MFA code: nothing was changed\n",
    );
    // SAFETY: signal(), setrlimit(), prctl() and raise() are async-signal-safe
    // system calls. The process has the long-term keys in memory: a
    // SIGQUIT must not leave them in a core file.
    unsafe {
        let no_core = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::setrlimit(libc::RLIMIT_CORE, &no_core);
        #[cfg(target_os = "linux")]
        libc::prctl(libc::PR_SET_DUMPABLE, 0);
        // Die of the same signal, so the shell sees 128 + signal.
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

/// `on_signal` for `signals` while it lives; the previous dispositions after.
/// A signal that was ignored (`nohup`) stays ignored.
pub struct Handlers {
    previous: Vec<(c_int, libc::sigaction)>,
    outer: bool,
}

impl Handlers {
    pub fn install(signals: &[c_int]) -> Handlers {
        let mut previous = Vec::new();
        if FORWARDING.load(Ordering::Acquire) || INSTALLED.swap(true, Ordering::AcqRel) {
            return Handlers {
                previous,
                outer: false,
            };
        }
        for &sig in signals {
            // SAFETY: a zeroed sigaction is valid for libc; the handler is an
            // extern "C" fn that only calls async-signal-safe functions, and
            // blocks the other handled signals while it runs.
            unsafe {
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(sig, std::ptr::null(), &mut old) != 0
                    || old.sa_sigaction == libc::SIG_IGN
                {
                    continue;
                }
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_signal as extern "C" fn(c_int) as libc::sighandler_t;
                libc::sigemptyset(&mut action.sa_mask);
                for &other in &WITH_SIGINT {
                    libc::sigaddset(&mut action.sa_mask, other);
                }
                if libc::sigaction(sig, &action, &mut old) == 0 {
                    previous.push((sig, old));
                }
            }
        }
        Handlers {
            previous,
            outer: true,
        }
    }
}

impl Drop for Handlers {
    fn drop(&mut self) {
        for (sig, old) in &self.previous {
            // SAFETY: puts back the disposition sigaction() returned.
            unsafe {
                libc::sigaction(*sig, old, std::ptr::null_mut());
            }
        }
        if self.outer {
            INSTALLED.store(false, Ordering::Release);
        }
    }
}

/// The handled signals blocked on this thread while it lives, so one that
/// arrives between spawning `mfa_process` and recording its group waits
/// and then kills the group.
pub struct Blocked {
    previous: libc::sigset_t,
}

impl Blocked {
    /// A child inherits the mask (std does not reset it): `cmd` gets the
    /// mask from before the block, or the signals could never stop it.
    pub fn not_in(&self, cmd: &mut std::process::Command) {
        use std::os::unix::process::CommandExt;
        let previous = self.previous;
        // SAFETY: runs in the child between fork and exec, and only calls
        // pthread_sigmask, which is async-signal-safe.
        unsafe {
            cmd.pre_exec(move || {
                libc::pthread_sigmask(libc::SIG_SETMASK, &previous, std::ptr::null_mut());
                Ok(())
            });
        }
    }
}

pub fn block() -> Blocked {
    // SAFETY: sigset_t is plain data, initialised by sigemptyset before use.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        let mut previous: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for &sig in &WITH_SIGINT {
            libc::sigaddset(&mut set, sig);
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut previous);
        Blocked { previous }
    }
}

impl Drop for Blocked {
    fn drop(&mut self) {
        // SAFETY: puts back the mask pthread_sigmask() returned.
        unsafe {
            libc::pthread_sigmask(libc::SIG_SETMASK, &self.previous, std::ptr::null_mut());
        }
    }
}
