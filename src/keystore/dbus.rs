//! Just enough D-Bus for the Secret Service (Linux): a blocking client on the
//! session bus's Unix socket, EXTERNAL authentication, method calls, their
//! replies and one kind of signal, the wire format for the handful of types
//! the Secret Service API uses.
//!
//! Why not `keyring`'s Secret Service backend: it brings `zbus` (and
//! `zvariant`, `secret-service`, the async-io stack, big-number DH), about
//! 1 MB of the release binary, which broke the 6 MB budget (measured: 6.52 MB
//! with it); this file is a few kilobytes. macOS and Windows still use
//! `keyring` (native APIs, small).
//!
//! Everything read is bounded (message size, nesting, lengths checked against
//! the buffer): a hostile or broken peer gets an error, never a panic. Buffers
//! that may hold a secret are wiped on drop.

use crate::error::{fail, Kind};
use anyhow::Result;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// Largest message accepted (the Secret Service's are a few hundred bytes).
const MAX_MESSAGE: usize = 1024 * 1024;
/// D-Bus allows 32 levels of each kind of nesting; 64 in all is plenty.
const MAX_DEPTH: usize = 64;
/// How long one method call may take, replies to others and signals
/// included: the Secret Service answers in milliseconds.
pub const CALL_WAIT: Duration = Duration::from_secs(10);

/// A value read from a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Byte(u8),
    Bool(bool),
    U32(u32),
    U64(u64),
    /// `s`, `o` and `g`.
    Str(String),
    /// `ay`: wiped on drop.
    Bytes(Bytes),
    Array(Vec<Value>),
    Struct(Vec<Value>),
    Dict(Box<Value>, Box<Value>),
    Variant(Box<Value>),
}

/// Bytes that may be a secret: `Debug` shows the length only.
#[derive(Clone, PartialEq, Eq)]
pub struct Bytes(pub Zeroizing<Vec<u8>>);

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{} bytes>", self.0.len())
    }
}

impl Value {
    pub fn str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            Value::Variant(v) => v.str(),
            _ => None,
        }
    }

    pub fn bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::Variant(v) => v.bool(),
            _ => None,
        }
    }

    pub fn items(&self) -> &[Value] {
        match self {
            Value::Array(v) | Value::Struct(v) => v,
            _ => &[],
        }
    }
}

// ---- writing ----

/// A message body or header being written. Alignment is relative to the
/// start of the buffer: a body starts 8-aligned in its message, so writing it
/// on its own gives the same padding.
#[derive(Default)]
pub struct W {
    pub buf: Zeroizing<Vec<u8>>,
}

impl W {
    fn pad(&mut self, n: usize) {
        while !self.buf.len().is_multiple_of(n) {
            self.buf.push(0);
        }
    }

    pub fn byte(&mut self, b: u8) {
        self.buf.push(b);
    }

    pub fn bool(&mut self, b: bool) {
        self.u32(u32::from(b));
    }

    pub fn u32(&mut self, v: u32) {
        self.pad(4);
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    /// `s` or `o`.
    pub fn str(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(0);
    }

    pub fn sig(&mut self, s: &str) {
        self.buf.push(s.len() as u8);
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.push(0);
    }

    pub fn bytes(&mut self, b: &[u8]) {
        self.u32(b.len() as u32);
        self.buf.extend_from_slice(b);
    }

    /// An array whose elements are aligned to `align`, written by `f`.
    pub fn array(&mut self, align: usize, f: impl FnOnce(&mut W)) {
        self.pad(4);
        let at = self.buf.len();
        self.buf.extend_from_slice(&[0; 4]);
        self.pad(align);
        let start = self.buf.len();
        f(self);
        let n = (self.buf.len() - start) as u32;
        self.buf[at..at + 4].copy_from_slice(&n.to_le_bytes());
    }

    /// A struct or dict entry: 8-aligned.
    pub fn structure(&mut self, f: impl FnOnce(&mut W)) {
        self.pad(8);
        f(self);
    }

    pub fn variant(&mut self, sig: &str, f: impl FnOnce(&mut W)) {
        self.sig(sig);
        f(self);
    }
}

// ---- reading ----

fn align_of(c: u8) -> usize {
    match c {
        b'n' | b'q' => 2,
        b'x' | b't' | b'd' | b'(' | b'{' => 8,
        b'y' | b'g' | b'v' => 1,
        _ => 4,
    }
}

fn bad() -> anyhow::Error {
    fail(
        Kind::Input,
        "the D-Bus peer sent a message awscred cannot read: check the Secret Service (or use --store file)",
    )
}

/// The first complete type of `sig` and the rest.
fn split_type(sig: &[u8]) -> Result<(&[u8], &[u8])> {
    let first = *sig.first().ok_or_else(bad)?;
    let len = match first {
        b'a' => 1 + split_type(&sig[1..])?.0.len(),
        b'(' | b'{' => {
            let close = if first == b'(' { b')' } else { b'}' };
            let mut depth = 0usize;
            let mut end = None;
            for (i, &c) in sig.iter().enumerate() {
                if c == first {
                    depth += 1;
                } else if c == close {
                    depth -= 1;
                    if depth == 0 {
                        end = Some(i + 1);
                        break;
                    }
                }
            }
            let end = end.ok_or_else(bad)?;
            // `()` and `{}` are not types (D-Bus spec).
            if end == 2 {
                return Err(bad());
            }
            end
        }
        _ => 1,
    };
    Ok(sig.split_at(len))
}

pub struct R<'a> {
    buf: &'a [u8],
    pos: usize,
    big: bool,
}

impl<'a> R<'a> {
    pub fn new(buf: &'a [u8], big: bool) -> R<'a> {
        R { buf, pos: 0, big }
    }

    fn align(&mut self, n: usize) -> Result<()> {
        let to = self.pos.div_ceil(n) * n;
        if to > self.buf.len() {
            return Err(bad());
        }
        self.pos = to;
        Ok(())
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or_else(bad)?;
        let s = self.buf.get(self.pos..end).ok_or_else(bad)?;
        self.pos = end;
        Ok(s)
    }

    fn u32(&mut self) -> Result<u32> {
        self.align(4)?;
        let b: [u8; 4] = self.take(4)?.try_into().map_err(|_| bad())?;
        Ok(if self.big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }

    fn string(&mut self, len: usize) -> Result<String> {
        let s = self.take(len)?;
        if self.take(1)? != [0] {
            return Err(bad());
        }
        String::from_utf8(s.to_vec()).map_err(|_| bad())
    }

    /// Every value of `sig`, in order.
    pub fn all(&mut self, sig: &[u8]) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        let mut rest = sig;
        while !rest.is_empty() {
            let (ty, more) = split_type(rest)?;
            out.push(self.value(ty, 0)?);
            rest = more;
        }
        Ok(out)
    }

    fn value(&mut self, ty: &[u8], depth: usize) -> Result<Value> {
        if depth > MAX_DEPTH {
            return Err(bad());
        }
        let first = *ty.first().ok_or_else(bad)?;
        Ok(match first {
            b'y' => Value::Byte(self.take(1)?[0]),
            b'b' => Value::Bool(self.u32()? != 0),
            b'u' | b'i' | b'h' => Value::U32(self.u32()?),
            b'n' | b'q' => {
                self.align(2)?;
                let b = self.take(2)?;
                Value::U32(u32::from(if self.big {
                    u16::from_be_bytes([b[0], b[1]])
                } else {
                    u16::from_le_bytes([b[0], b[1]])
                }))
            }
            b'x' | b't' | b'd' => {
                self.align(8)?;
                let b: [u8; 8] = self.take(8)?.try_into().map_err(|_| bad())?;
                Value::U64(if self.big {
                    u64::from_be_bytes(b)
                } else {
                    u64::from_le_bytes(b)
                })
            }
            b's' | b'o' => {
                let len = self.u32()? as usize;
                Value::Str(self.string(len)?)
            }
            b'g' => {
                let len = usize::from(self.take(1)?[0]);
                Value::Str(self.string(len)?)
            }
            b'v' => {
                let len = usize::from(self.take(1)?[0]);
                let sig = self.string(len)?;
                let (one, rest) = split_type(sig.as_bytes())?;
                if !rest.is_empty() {
                    return Err(bad());
                }
                Value::Variant(Box::new(self.value(one, depth + 1)?))
            }
            b'a' => {
                let elem = &ty[1..];
                let n = self.u32()? as usize;
                let first = *elem.first().ok_or_else(bad)?;
                self.align(align_of(first))?;
                if elem == b"y" {
                    return Ok(Value::Bytes(Bytes(Zeroizing::new(self.take(n)?.to_vec()))));
                }
                let end = self.pos.checked_add(n).ok_or_else(bad)?;
                if end > self.buf.len() {
                    return Err(bad());
                }
                let mut items = Vec::new();
                while self.pos < end {
                    // Every element takes bytes (an empty struct would not:
                    // the spec forbids `()`, and this loop would never end).
                    let before = self.pos;
                    items.push(self.value(elem, depth + 1)?);
                    if self.pos == before {
                        return Err(bad());
                    }
                }
                if self.pos != end {
                    return Err(bad());
                }
                Value::Array(items)
            }
            b'(' | b'{' => {
                self.align(8)?;
                let inner = ty.get(1..ty.len() - 1).ok_or_else(bad)?;
                let mut items = Vec::new();
                let mut rest = inner;
                while !rest.is_empty() {
                    let (one, more) = split_type(rest)?;
                    items.push(self.value(one, depth + 1)?);
                    rest = more;
                }
                if first == b'{' {
                    let [k, v]: [Value; 2] = items.try_into().map_err(|_| bad())?;
                    Value::Dict(Box::new(k), Box::new(v))
                } else {
                    Value::Struct(items)
                }
            }
            _ => return Err(bad()),
        })
    }
}

// ---- messages and the connection ----

const METHOD_CALL: u8 = 1;
const METHOD_RETURN: u8 = 2;
const ERROR: u8 = 3;
const SIGNAL: u8 = 4;

/// A message read from the bus.
pub struct Message {
    pub kind: u8,
    pub reply_serial: Option<u32>,
    pub path: Option<String>,
    pub interface: Option<String>,
    pub member: Option<String>,
    pub error_name: Option<String>,
    /// The unique name of the connection that sent it (set by the bus).
    pub sender: Option<String>,
    pub body: Vec<Value>,
}

/// A connection to the session bus. Every wait has one deadline, whatever
/// arrives meanwhile: a stream of unrelated messages cannot hold awscred
/// past it.
pub struct Bus {
    stream: UnixStream,
    serial: u32,
    deadline: Instant,
    /// Each method call's deadline (tests shorten it).
    call_wait: Duration,
    /// Signals that came while a call waited for its reply: a prompt's
    /// `Completed` may come before the `Prompt` call's reply. A few only.
    signals: std::collections::VecDeque<Message>,
}

/// How many signals are kept for a later [`Bus::signal`].
const KEPT_SIGNALS: usize = 16;

/// A failure of the connection itself, in one line with the fix.
fn lost(e: std::io::Error) -> anyhow::Error {
    if matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    ) {
        return timed_out();
    }
    fail(
        Kind::Input,
        format!("the connection to the Secret Service on the session bus failed ({e}): check that your keyring is running, or use `--store file`"),
    )
}

fn timed_out() -> anyhow::Error {
    fail(
        Kind::Input,
        "the Secret Service did not answer in time: check your keyring (or use --store file)",
    )
}

/// Where the session bus is: `DBUS_SESSION_BUS_ADDRESS` (its `unix:path=` or
/// `unix:abstract=` entries), else `$XDG_RUNTIME_DIR/bus`.
fn connect(address: Option<&str>, runtime_dir: Option<&str>) -> Result<UnixStream> {
    let no_bus = |why: String| {
        fail(
            Kind::Input,
            format!("no D-Bus session bus to reach the Secret Service: {why}: run in your desktop session, or use `--store file`"),
        )
    };
    let Some(address) = address else {
        let Some(dir) = runtime_dir else {
            return Err(no_bus("DBUS_SESSION_BUS_ADDRESS is not set".into()));
        };
        let path = std::path::Path::new(dir).join("bus");
        return UnixStream::connect(&path)
            .map_err(|e| no_bus(format!("cannot connect to {} ({e})", path.display())));
    };
    let mut last = String::from("DBUS_SESSION_BUS_ADDRESS names no unix: address");
    for entry in address.split(';') {
        let Some(params) = entry.strip_prefix("unix:") else {
            continue;
        };
        for kv in params.split(',') {
            let Some((k, v)) = kv.split_once('=') else {
                continue;
            };
            let v = unescape(v)
                .ok_or_else(|| no_bus("DBUS_SESSION_BUS_ADDRESS is malformed".into()))?;
            let conn = match k {
                "path" => UnixStream::connect(&v),
                "abstract" => {
                    use std::os::linux::net::SocketAddrExt;
                    std::os::unix::net::SocketAddr::from_abstract_name(v.as_bytes())
                        .and_then(|a| UnixStream::connect_addr(&a))
                }
                _ => continue,
            };
            match conn {
                Ok(s) => return Ok(s),
                Err(e) => last = format!("cannot connect to {v} ({e})"),
            }
        }
    }
    Err(no_bus(last))
}

/// D-Bus address values are percent-encoded.
fn unescape(v: &str) -> Option<String> {
    let b = v.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

impl Bus {
    /// Connects and authenticates (EXTERNAL: the kernel vouches for our uid).
    pub fn session(address: Option<&str>, runtime_dir: Option<&str>) -> Result<Bus> {
        Bus::over(connect(address, runtime_dir)?, CALL_WAIT)
    }

    /// Authenticates on `stream`; each call may take `call_wait`.
    pub fn over(stream: UnixStream, call_wait: Duration) -> Result<Bus> {
        stream.set_write_timeout(Some(call_wait)).map_err(lost)?;
        let mut bus = Bus {
            stream,
            serial: 0,
            deadline: Instant::now() + call_wait,
            call_wait,
            signals: std::collections::VecDeque::new(),
        };
        let uid = rustix::process::getuid().as_raw().to_string();
        let hex: String = uid.bytes().map(|b| format!("{b:02x}")).collect();
        bus.stream
            .write_all(format!("\0AUTH EXTERNAL {hex}\r\n").as_bytes())
            .map_err(lost)?;
        let line = bus.line()?;
        if !line.starts_with("OK ") {
            return Err(fail(
                Kind::Input,
                "the D-Bus session bus refused awscred's authentication: check DBUS_SESSION_BUS_ADDRESS, or use `--store file`",
            ));
        }
        bus.stream.write_all(b"BEGIN\r\n").map_err(lost)?;
        bus.call(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "Hello",
            "",
            &[],
        )?;
        Ok(bus)
    }

    /// One line of the authentication exchange.
    fn line(&mut self) -> Result<String> {
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        while !line.ends_with(b"\r\n") {
            if line.len() > 512 || self.fill(&mut byte)? == 0 {
                return Err(bad());
            }
            line.push(byte[0]);
        }
        String::from_utf8(line).map_err(|_| bad())
    }

    /// One read before the deadline: what `read` returns.
    fn fill(&mut self, buf: &mut [u8]) -> Result<usize> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(timed_out());
        }
        self.stream.set_read_timeout(Some(left)).map_err(lost)?;
        loop {
            match self.stream.read(buf) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                other => return other.map_err(lost),
            }
        }
    }

    /// Fills `buf` before the deadline, however slowly the bytes come.
    fn fill_exact(&mut self, mut buf: &mut [u8]) -> Result<()> {
        while !buf.is_empty() {
            match self.fill(buf)? {
                0 => return Err(lost(std::io::ErrorKind::UnexpectedEof.into())),
                n => buf = &mut buf[n..],
            }
        }
        Ok(())
    }

    /// Sends a method call and returns its reply's body (an error reply is an error).
    pub fn call(
        &mut self,
        dest: &str,
        path: &str,
        interface: &str,
        member: &str,
        sig: &str,
        body: &[u8],
    ) -> Result<Vec<Value>> {
        self.serial = self.serial.wrapping_add(1).max(1);
        let serial = self.serial;
        let mut w = W::default();
        w.byte(b'l');
        w.byte(METHOD_CALL);
        w.byte(0);
        w.byte(1);
        w.u32(body.len() as u32);
        w.u32(serial);
        let field = |w: &mut W, code: u8, ty: &str, value: &str| {
            w.structure(|w| {
                w.byte(code);
                w.variant(ty, |w| {
                    if ty == "g" {
                        w.sig(value)
                    } else {
                        w.str(value)
                    }
                });
            })
        };
        w.array(8, |w| {
            field(w, 1, "o", path);
            field(w, 2, "s", interface);
            field(w, 3, "s", member);
            field(w, 6, "s", dest);
            if !sig.is_empty() {
                field(w, 8, "g", sig);
            }
        });
        w.pad(8);
        w.buf.extend_from_slice(body);
        self.deadline = Instant::now() + self.call_wait;
        self.stream.write_all(&w.buf).map_err(lost)?;
        loop {
            let m = self.read()?;
            if m.kind == SIGNAL {
                if self.signals.len() == KEPT_SIGNALS {
                    self.signals.pop_front();
                }
                self.signals.push_back(m);
                continue;
            }
            if m.reply_serial != Some(serial) || !matches!(m.kind, METHOD_RETURN | ERROR) {
                continue;
            }
            if m.kind == ERROR {
                let name = m.error_name.unwrap_or_default();
                let text = m
                    .body
                    .first()
                    .and_then(Value::str)
                    .unwrap_or("")
                    .to_string();
                return Err(DbusError { name, text }.into());
            }
            return Ok(m.body);
        }
    }

    /// The unique name that owns the well-known `name` (who may send its signals).
    pub fn owner(&mut self, name: &str) -> Result<String> {
        let mut w = W::default();
        w.str(name);
        let out = self.call(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "GetNameOwner",
            "s",
            &w.buf,
        )?;
        out.first()
            .and_then(Value::str)
            .map(str::to_string)
            .ok_or_else(bad)
    }

    /// Waits up to `wait` for the signal `interface.member` from object
    /// `path` sent by the connection `sender`: anyone on the bus can send a
    /// signal with any path, so only the service's own counts.
    pub fn signal(
        &mut self,
        sender: &str,
        path: &str,
        interface: &str,
        member: &str,
        wait: Duration,
    ) -> Result<Vec<Value>> {
        self.deadline = Instant::now() + wait;
        let mut kept = std::mem::take(&mut self.signals);
        loop {
            let m = match kept.pop_front() {
                Some(m) => m,
                None => self.read()?,
            };
            if m.kind == SIGNAL
                && m.sender.as_deref() == Some(sender)
                && m.path.as_deref() == Some(path)
                && m.interface.as_deref() == Some(interface)
                && m.member.as_deref() == Some(member)
            {
                return Ok(m.body);
            }
        }
    }

    fn read(&mut self) -> Result<Message> {
        let mut fixed = [0u8; 16];
        self.fill_exact(&mut fixed)?;
        let big = match fixed[0] {
            b'l' => false,
            b'B' => true,
            _ => return Err(bad()),
        };
        let num = |b: &[u8]| -> usize {
            let a = [b[0], b[1], b[2], b[3]];
            (if big {
                u32::from_be_bytes(a)
            } else {
                u32::from_le_bytes(a)
            }) as usize
        };
        let (body_len, fields_len) = (num(&fixed[4..8]), num(&fixed[12..16]));
        let header_len = (16 + fields_len).div_ceil(8) * 8;
        let total = header_len.checked_add(body_len).ok_or_else(bad)?;
        if total > MAX_MESSAGE {
            return Err(bad());
        }
        let mut buf = Zeroizing::new(vec![0u8; total]);
        buf[..16].copy_from_slice(&fixed);
        self.fill_exact(&mut buf[16..])?;
        let mut r = R::new(&buf[..16 + fields_len], big);
        r.pos = 12;
        let fields = match r.value(b"a(yv)", 0)? {
            Value::Array(f) => f,
            _ => return Err(bad()),
        };
        let mut m = Message {
            kind: fixed[1],
            reply_serial: None,
            path: None,
            interface: None,
            member: None,
            error_name: None,
            sender: None,
            body: Vec::new(),
        };
        let mut sig = String::new();
        for f in &fields {
            let (Some(Value::Byte(code)), Some(Value::Variant(v))) =
                (f.items().first(), f.items().get(1))
            else {
                return Err(bad());
            };
            match (code, v.as_ref()) {
                (1, Value::Str(s)) => m.path = Some(s.clone()),
                (2, Value::Str(s)) => m.interface = Some(s.clone()),
                (3, Value::Str(s)) => m.member = Some(s.clone()),
                (4, Value::Str(s)) => m.error_name = Some(s.clone()),
                (5, Value::U32(n)) => m.reply_serial = Some(*n),
                (7, Value::Str(s)) => m.sender = Some(s.clone()),
                (8, Value::Str(s)) => sig = s.clone(),
                _ => {}
            }
        }
        let mut body = R::new(&buf[header_len..], big);
        m.body = body.all(sig.as_bytes())?;
        Ok(m)
    }
}

/// An error reply: its D-Bus error name and message.
#[derive(Debug)]
pub struct DbusError {
    pub name: String,
    pub text: String,
}

impl std::fmt::Display for DbusError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let clean =
            |s: &str| -> String { s.chars().filter(|c| !c.is_control()).take(200).collect() };
        write!(f, "{}: {}", clean(&self.name), clean(&self.text))
    }
}

impl std::error::Error for DbusError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_written_reads_back() {
        let mut w = W::default();
        w.byte(7);
        w.array(8, |w| {
            for (k, v) in [("service", "awscred"), ("username", "work")] {
                w.structure(|w| {
                    w.str(k);
                    w.variant("s", |w| w.str(v));
                })
            }
        });
        w.structure(|w| {
            w.str("/s/1");
            w.bytes(b"");
            w.bytes(b"secret");
            w.str("text/plain");
        });
        w.bool(true);
        let vals = R::new(&w.buf, false).all(b"ya{sv}(oayays)b").unwrap();
        assert_eq!(vals[0], Value::Byte(7));
        assert_eq!(vals[1].items().len(), 2);
        assert_eq!(vals[3], Value::Bool(true));
        match &vals[2].items()[2] {
            Value::Bytes(b) => assert_eq!(b.0.as_slice(), b"secret"),
            other => panic!("{other:?}"),
        }
        assert_eq!(format!("{:?}", vals[2].items()[2]), "Bytes(<6 bytes>)");
    }

    #[test]
    fn broken_input_is_an_error_never_a_panic() {
        let mut w = W::default();
        w.str("hello");
        let good = w.buf.to_vec();
        for cut in 0..good.len() {
            assert!(R::new(&good[..cut], false).all(b"s").is_err());
        }
        for sig in [&b"a"[..], b"(", b"(s", b"{ss", b"v", b"z"] {
            let _ = R::new(&good, false).all(sig);
        }
        // A huge array length.
        let mut huge = vec![0xff, 0xff, 0xff, 0x7f];
        huge.extend([0; 8]);
        assert!(R::new(&huge, false).all(b"ay").is_err());
        assert!(R::new(&huge, false).all(b"as").is_err());
        // Deep nesting.
        let deep = format!("{}y", "a".repeat(200));
        let _ = R::new(&[1; 64], false).all(deep.as_bytes());
        let nested = format!("{}y{}", "(".repeat(100), ")".repeat(100));
        assert!(R::new(&[1; 64], false).all(nested.as_bytes()).is_err());
        assert_eq!(
            unescape("/run/user/1000/bus%2c").as_deref(),
            Some("/run/user/1000/bus,")
        );
        assert_eq!(unescape("%zz"), None);
    }

    /// An array of empty structs takes no bytes per element: without a check
    /// it grew memory until the process aborted.
    #[test]
    fn an_array_of_empty_structs_is_refused_not_looped_on() {
        let mut body = 8u32.to_le_bytes().to_vec();
        body.extend([0; 12]);
        assert!(R::new(&body, false).all(b"a()").is_err());
        assert!(R::new(&body, false).all(b"a{}").is_err());
        assert!(R::new(&body, false).all(b"()").is_err());
    }

    /// A message as the bus daemon would send it.
    fn message(
        kind: u8,
        reply_serial: Option<u32>,
        sender: &str,
        path: &str,
        member: &str,
        body_sig: &str,
        body: &[u8],
    ) -> Vec<u8> {
        let mut w = W::default();
        w.byte(b'l');
        w.byte(kind);
        w.byte(0);
        w.byte(1);
        w.u32(body.len() as u32);
        w.u32(99);
        w.array(8, |w| {
            let field = |w: &mut W, code: u8, ty: &str, value: &str| {
                w.structure(|w| {
                    w.byte(code);
                    w.variant(ty, |w| {
                        if ty == "g" {
                            w.sig(value)
                        } else {
                            w.str(value)
                        }
                    });
                })
            };
            field(w, 1, "o", path);
            field(w, 2, "s", "org.freedesktop.Secret.Prompt");
            field(w, 3, "s", member);
            field(w, 7, "s", sender);
            if !body_sig.is_empty() {
                field(w, 8, "g", body_sig);
            }
            if let Some(n) = reply_serial {
                w.structure(|w| {
                    w.byte(5);
                    w.variant("u", |w| w.u32(n));
                });
            }
        });
        w.pad(8);
        w.buf.extend_from_slice(body);
        w.buf.to_vec()
    }

    /// Skips one message the client sent.
    fn skip_message(peer: &mut UnixStream) {
        let mut fixed = [0u8; 16];
        peer.read_exact(&mut fixed).unwrap();
        let n = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
        let header = (16 + n(&fixed[12..16])).div_ceil(8) * 8;
        let mut rest = vec![0u8; header - 16 + n(&fixed[4..8])];
        peer.read_exact(&mut rest).unwrap();
    }

    /// A client authenticated to a fake daemon (the other end, returned);
    /// each call may take `wait`.
    fn connected(wait: Duration) -> (std::thread::JoinHandle<Result<Bus>>, UnixStream) {
        let (client, mut peer) = UnixStream::pair().unwrap();
        let bus = std::thread::spawn(move || Bus::over(client, wait));
        let mut line = Vec::new();
        while !line.ends_with(b"\r\n") {
            let mut b = [0u8; 1];
            peer.read_exact(&mut b).unwrap();
            line.push(b[0]);
        }
        peer.write_all(b"OK 0123456789abcdef\r\n").unwrap();
        let mut begin = [0u8; 7];
        peer.read_exact(&mut begin).unwrap();
        skip_message(&mut peer); // Hello
        let mut w = W::default();
        w.str(":1.5");
        peer.write_all(&message(
            METHOD_RETURN,
            Some(1),
            "org.freedesktop.DBus",
            "/",
            "Hello",
            "s",
            &w.buf,
        ))
        .unwrap();
        (bus, peer)
    }

    /// Runs `f` on a thread and gives its answer, or `None` if it has none
    /// within `limit` (it is then left behind: the test fails anyway).
    fn within<T: Send + 'static>(
        limit: Duration,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f());
        });
        rx.recv_timeout(limit).ok()
    }

    /// Replies to other serials and unrelated signals keep arriving: the call
    /// still ends at its deadline (before, each one restarted the wait).
    #[test]
    fn a_stream_of_other_messages_cannot_hold_a_call_past_its_deadline() {
        let (bus, mut peer) = connected(Duration::from_millis(400));
        let mut bus = bus.join().unwrap().unwrap();
        let noise = std::thread::spawn(move || {
            for i in 0..200u32 {
                let m = if i % 2 == 0 {
                    message(SIGNAL, None, ":1.9", "/noise", "Changed", "", &[])
                } else {
                    message(METHOD_RETURN, Some(7777), ":1.9", "/", "x", "", &[])
                };
                if peer.write_all(&m).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        let started = Instant::now();
        let e = within(Duration::from_secs(3), move || {
            bus.call("org.freedesktop.secrets", "/", "i.f", "M", "", &[])
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
        .expect("the call ended")
        .unwrap_err();
        assert!(e.contains("did not answer in time"), "{e}");
        assert!(started.elapsed() < Duration::from_secs(2));
        drop(noise);
    }

    /// A prompt's `Completed` counts only from the Secret Service itself.
    #[test]
    fn a_signal_from_another_sender_is_not_the_prompts_answer() {
        for (sender, accepted) in [(":1.66", false), (":1.7", true)] {
            let (bus, mut peer) = connected(Duration::from_secs(5));
            let mut bus = bus.join().unwrap().unwrap();
            let mut w = W::default();
            w.bool(false);
            w.variant("s", |w| w.str(""));
            peer.write_all(&message(
                SIGNAL,
                None,
                sender,
                "/prompt/1",
                "Completed",
                "bv",
                &w.buf,
            ))
            .unwrap();
            let got = within(Duration::from_secs(3), move || {
                bus.signal(
                    ":1.7",
                    "/prompt/1",
                    "org.freedesktop.Secret.Prompt",
                    "Completed",
                    Duration::from_millis(300),
                )
                .map(|_| ())
                .map_err(|e| e.to_string())
            })
            .expect("the wait ended");
            assert_eq!(got.is_ok(), accepted, "sender {sender}: {got:?}");
        }
    }

    /// A connection that breaks is one line with the fix, not a raw OS error.
    #[test]
    fn a_broken_connection_is_one_line_with_the_fix() {
        let (bus, peer) = connected(Duration::from_secs(5));
        let mut bus = bus.join().unwrap().unwrap();
        drop(peer);
        let e = bus
            .call("org.freedesktop.secrets", "/", "i.f", "M", "", &[])
            .unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with("the connection to the Secret Service on the session bus failed (")
                && text.ends_with("check that your keyring is running, or use `--store file`"),
            "{text}"
        );
        assert_eq!(crate::error::kind_of(&e), Kind::Input);
    }

    /// The prompt's answer may come before the reply to the call that showed
    /// it: it is kept, not lost (the wait would run to its deadline).
    #[test]
    fn a_signal_that_comes_before_the_reply_is_kept_for_the_wait() {
        let (bus, mut peer) = connected(Duration::from_secs(5));
        let mut bus = bus.join().unwrap().unwrap();
        let mut w = W::default();
        w.bool(false);
        w.variant("s", |w| w.str(""));
        peer.write_all(&message(
            SIGNAL,
            None,
            ":1.7",
            "/prompt/1",
            "Completed",
            "bv",
            &w.buf,
        ))
        .unwrap();
        peer.write_all(&message(METHOD_RETURN, Some(2), ":1.7", "/", "x", "", &[]))
            .unwrap();
        bus.call(
            "org.freedesktop.secrets",
            "/prompt/1",
            "i.f",
            "Prompt",
            "",
            &[],
        )
        .unwrap();
        let started = Instant::now();
        bus.signal(
            ":1.7",
            "/prompt/1",
            "org.freedesktop.Secret.Prompt",
            "Completed",
            Duration::from_secs(3),
        )
        .unwrap();
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}
