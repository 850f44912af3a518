//! The little HTTP/1.1 the credential server speaks: one request per
//! connection, its head read with a size cap and a deadline, no body.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A request head is a few hundred bytes; SDKs send no body.
pub const MAX_HEAD: usize = 8 * 1024;

/// How long a client may take to send its request, in all.
pub const READ_DEADLINE: Duration = Duration::from_secs(5);

/// How long [`linger`] reads what a refused client still sends, in all.
const LINGER: Duration = Duration::from_secs(1);

/// A request as the server sees it. Header names are lower-cased.
#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub path: String,
    headers: Vec<(String, String)>,
}

impl Request {
    /// The one value of header `name` (lower case); a repeated header is
    /// treated as absent, so no check can be satisfied by one copy and
    /// defeated by another.
    pub fn header(&self, name: &str) -> Option<&str> {
        let mut found = self.headers.iter().filter(|(n, _)| n == name);
        match (found.next(), found.next()) {
            (Some((_, v)), None) => Some(v),
            _ => None,
        }
    }

    pub fn has_header(&self, name: &str) -> bool {
        self.headers.iter().any(|(n, _)| n == name)
    }
}

/// Why a request was not read: answered with 400 (or nothing, if the client
/// is gone).
#[derive(Debug, PartialEq, Eq)]
pub enum Bad {
    TooLarge,
    Malformed,
    /// A body, or chunked encoding: nothing here takes one.
    Body,
    Timeout,
}

/// Reads one request head from `stream`, within [`MAX_HEAD`] bytes and
/// [`READ_DEADLINE`] in all (a client trickling a byte a second is cut off).
pub fn read_request(stream: &mut TcpStream) -> Result<Request, Bad> {
    let start = Instant::now();
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let left = READ_DEADLINE
            .checked_sub(start.elapsed())
            .filter(|d| !d.is_zero())
            .ok_or(Bad::Timeout)?;
        stream
            .set_read_timeout(Some(left))
            .map_err(|_| Bad::Timeout)?;
        let n = match stream.read(&mut chunk) {
            Ok(0) => return Err(Bad::Malformed),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return Err(Bad::Timeout),
        };
        // Only the new bytes (and the three before them) can complete the end.
        let from = buf.len().saturating_sub(3);
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = find(&buf[from..], b"\r\n\r\n") {
            buf.truncate(from + end);
            return parse(&buf);
        }
        if buf.len() > MAX_HEAD {
            return Err(Bad::TooLarge);
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

pub(super) fn parse(head: &[u8]) -> Result<Request, Bad> {
    let head = std::str::from_utf8(head).map_err(|_| Bad::Malformed)?;
    let mut lines = head.split("\r\n");
    let mut parts = lines.next().ok_or(Bad::Malformed)?.split(' ');
    let (Some(method), Some(path), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Bad::Malformed);
    };
    if !matches!(version, "HTTP/1.1" | "HTTP/1.0") || !path.starts_with('/') {
        return Err(Bad::Malformed);
    }
    let mut headers = Vec::new();
    for line in lines {
        let (name, value) = line.split_once(':').ok_or(Bad::Malformed)?;
        if name.is_empty() || name.contains(|c: char| c.is_ascii_whitespace() || c.is_control()) {
            return Err(Bad::Malformed);
        }
        let value = value.trim_matches([' ', '\t']);
        if value.contains(|c: char| c.is_control() && c != '\t') {
            return Err(Bad::Malformed);
        }
        headers.push((name.to_ascii_lowercase(), value.to_string()));
    }
    let request = Request {
        method: method.to_string(),
        path: path.to_string(),
        headers,
    };
    let body = request.has_header("transfer-encoding")
        || request
            .headers
            .iter()
            .any(|(n, v)| n == "content-length" && v != "0");
    if body {
        return Err(Bad::Body);
    }
    Ok(request)
}

/// Writes a whole response and closes the exchange (`Connection: close`).
pub fn respond(stream: &mut TcpStream, status: u16, content_type: &str, body: &str) {
    let _ = stream.set_write_timeout(Some(READ_DEADLINE));
    respond_once(stream, status, content_type, body);
}

fn respond_once(stream: &mut TcpStream, status: u16, content_type: &str, body: &str) {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Payload Too Large",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    };
    // One write: a head and a body in two small segments would wait on
    // Nagle's algorithm for the client's acknowledgement.
    let answer = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream
        .write_all(answer.as_bytes())
        .and_then(|()| stream.flush());
}

/// Answers a connection that is refused unread (another user's), without
/// ever blocking the accepting thread: one non-blocking write, then what
/// the client has sent already is discarded unread, so closing sends a FIN
/// (not a reset that could drop the answer) in the usual case.
pub fn refuse(stream: &mut TcpStream, status: u16, body: &str) {
    if stream.set_nonblocking(true).is_err() {
        return;
    }
    respond_once(stream, status, "text/plain", body);
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut sink = [0u8; 4096];
    for _ in 0..4 {
        match stream.read(&mut sink) {
            Ok(n) if n > 0 => {}
            _ => return,
        }
    }
}

/// After answering a request that was not read to its end: reads (a
/// bounded amount of) what the client still sends, so closing does not reset
/// the connection before it has read the answer.
pub fn linger(stream: &mut TcpStream) {
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let deadline = Instant::now() + LINGER;
    let mut sink = [0u8; 4096];
    let mut left = 16 * MAX_HEAD;
    while left > 0 {
        let Some(wait) = deadline.checked_duration_since(Instant::now()) else {
            return;
        };
        if wait.is_zero() || stream.set_read_timeout(Some(wait)).is_err() {
            return;
        }
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => return,
            Ok(n) => left = left.saturating_sub(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_request_head() {
        let r = parse(b"GET /creds HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAuthorization: abc\r\nX-A:  b \r\nContent-Length: 0").unwrap();
        assert_eq!((r.method.as_str(), r.path.as_str()), ("GET", "/creds"));
        assert_eq!(r.header("host"), Some("127.0.0.1:8080"));
        assert_eq!(r.header("authorization"), Some("abc"));
        assert_eq!(r.header("x-a"), Some("b"));
    }

    #[test]
    fn refuses_what_no_sdk_sends() {
        for (head, why) in [
            (&b"GET /x HTTP/1.1\r\nContent-Length: 5"[..], Bad::Body),
            (b"GET /x HTTP/1.1\r\nTransfer-Encoding: chunked", Bad::Body),
            (b"GET /x HTTP/2\r\nHost: a", Bad::Malformed),
            (b"GET x HTTP/1.1", Bad::Malformed),
            (b"GET /x  HTTP/1.1", Bad::Malformed),
            (b"GET /x HTTP/1.1\r\nBad Name: v", Bad::Malformed),
            (b"GET /x HTTP/1.1\r\nNoColon", Bad::Malformed),
            (b"GET /x HTTP/1.1\r\nA: b\x01c", Bad::Malformed),
            (b"GET /\xff HTTP/1.1", Bad::Malformed),
        ] {
            assert_eq!(parse(head), Err(why), "{:?}", String::from_utf8_lossy(head));
        }
    }

    #[test]
    fn a_repeated_header_counts_as_absent() {
        let r = parse(b"GET / HTTP/1.1\r\nAuthorization: a\r\nauthorization: b").unwrap();
        assert_eq!(r.header("authorization"), None);
        assert!(r.has_header("authorization"));
    }
}
