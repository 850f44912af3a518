//! Who owns the other end of a loopback TCP connection, asked once per
//! connection, at accept, before anything is read from it. The client's
//! socket is the one whose local address is the peer's and whose remote
//! address is the server's.
//!
//! The kernel answers for that one socket through `NETLINK_SOCK_DIAG`
//! (`inet_diag`, what `ss` uses): one request naming the 4-tuple, one answer
//! of 72 bytes, whatever the number of sockets on the machine. Where that is
//! missing (a kernel without `inet_diag`, some sandboxes), the socket table
//! `/proc/net/tcp` is read line by line up to the match. [`Lookup::probe`]
//! picks the way once, at start, by finding the server's own test connection.

use std::io::BufRead;
use std::net::{SocketAddr, SocketAddrV4};
use std::time::Duration;

/// How the server finds a connection's owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    SockDiag,
    Table,
}

impl Lookup {
    /// The first way that finds `uid` as the owner of the client socket
    /// `peer` connected to `local` (a connection the server made to itself).
    pub fn probe(peer: SocketAddr, local: SocketAddr, uid: u32) -> Option<Lookup> {
        [Lookup::SockDiag, Lookup::Table]
            .into_iter()
            .find(|way| way.uid_of(peer, local) == Some(uid))
    }

    /// The uid owning the client socket `peer` connected to `local`, if found.
    pub fn uid_of(self, peer: SocketAddr, local: SocketAddr) -> Option<u32> {
        let (SocketAddr::V4(peer), SocketAddr::V4(local)) = (peer, local) else {
            return None; // The server listens on 127.0.0.1 only.
        };
        match self {
            Lookup::SockDiag => diag::uid_of(peer, local),
            Lookup::Table => table_uid_of(peer, local),
        }
    }
}

/// The table is one line per socket, about 150 bytes each: a bound on a
/// machine with very many.
const MAX_TABLE: u64 = 64 * 1024 * 1024;

fn table_uid_of(peer: SocketAddrV4, local: SocketAddrV4) -> Option<u32> {
    let file = std::fs::File::open("/proc/net/tcp").ok()?;
    let (local_hex, remote_hex) = (hex(peer), hex(local));
    let mut reader = std::io::BufReader::new(std::io::Read::take(file, MAX_TABLE));
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if let Some(uid) = uid_in(&line, &local_hex, &remote_hex) {
            return Some(uid);
        }
    }
}

/// The table's spelling of an address: the IPv4 address as the kernel's
/// 32-bit value printed in native byte order, then the port, in hex.
fn hex(addr: SocketAddrV4) -> String {
    format!(
        "{:08X}:{:04X}",
        u32::from_ne_bytes(addr.ip().octets()),
        addr.port()
    )
}

/// `sl local rem st queues tr retrnsmt uid …`: the uid, if this line is the
/// socket with these addresses (the header line never is).
fn uid_in(line: &str, local: &str, remote: &str) -> Option<u32> {
    let mut f = line.split_whitespace();
    let (_, l, r) = (f.next()?, f.next()?, f.next()?);
    if l != local || r != remote {
        return None;
    }
    f.nth(4)?.parse().ok()
}

/// The sock_diag request and its answer, as bytes: every length, type,
/// sequence number and address in the answer is checked before its uid is
/// believed.
mod diag {
    use super::*;
    use rustix::net::{self, AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType};

    const NLMSG_HDR: usize = 16;
    const NLM_F_REQUEST: u16 = 1;
    const SOCK_DIAG_BY_FAMILY: u16 = 20;
    const AF_INET: u8 = 2;
    const IPPROTO_TCP: u8 = 6;
    /// `struct inet_diag_req_v2`.
    const REQ_LEN: usize = 56;
    /// `struct inet_diag_msg`.
    const MSG_LEN: usize = 72;
    /// The kernel answers while `send` runs; this only bounds a surprise.
    const WAIT: Duration = Duration::from_millis(500);
    /// One request per socket: any fixed number tells answers apart.
    const SEQ: u32 = 0x6177_7363;

    pub fn uid_of(peer: SocketAddrV4, local: SocketAddrV4) -> Option<u32> {
        let fd = net::socket_with(
            AddressFamily::NETLINK,
            SocketType::DGRAM,
            SocketFlags::CLOEXEC,
            Some(net::netlink::SOCK_DIAG),
        )
        .ok()?;
        net::sockopt::set_socket_timeout(&fd, net::sockopt::Timeout::Recv, Some(WAIT)).ok()?;
        let request = request(peer, local);
        if net::send(&fd, &request, SendFlags::empty()).ok()? != request.len() {
            return None;
        }
        // An answer is one message of NLMSG_HDR + MSG_LEN bytes (or an
        // error); room for more, and TRUNC to see a longer one.
        let mut buf = [0u8; 512];
        let (got, len) = net::recv(&fd, &mut buf, RecvFlags::TRUNC).ok()?;
        if len > got {
            return None;
        }
        answer(&buf[..got], peer, local)
    }

    /// `struct inet_diag_sockid` (48 bytes): ports and addresses in network
    /// byte order, no interface, no cookie (`INET_DIAG_NOCOOKIE`).
    fn sockid(peer: SocketAddrV4, local: SocketAddrV4) -> [u8; 48] {
        let mut id = [0u8; 48];
        id[0..2].copy_from_slice(&peer.port().to_be_bytes());
        id[2..4].copy_from_slice(&local.port().to_be_bytes());
        id[4..8].copy_from_slice(&peer.ip().octets());
        id[20..24].copy_from_slice(&local.ip().octets());
        id[40..48].copy_from_slice(&[0xff; 8]);
        id
    }

    /// One `SOCK_DIAG_BY_FAMILY` request for exactly this socket (no dump).
    pub(super) fn request(peer: SocketAddrV4, local: SocketAddrV4) -> Vec<u8> {
        let total = NLMSG_HDR + REQ_LEN;
        let mut m = Vec::with_capacity(total);
        m.extend_from_slice(&(total as u32).to_ne_bytes());
        m.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
        m.extend_from_slice(&NLM_F_REQUEST.to_ne_bytes());
        m.extend_from_slice(&SEQ.to_ne_bytes());
        m.extend_from_slice(&0u32.to_ne_bytes()); // port id: the kernel fills it in
        m.extend_from_slice(&[AF_INET, IPPROTO_TCP, 0, 0]); // family, protocol, ext, pad
        m.extend_from_slice(&u32::MAX.to_ne_bytes()); // every state
        m.extend_from_slice(&sockid(peer, local));
        m
    }

    fn u16_at(b: &[u8], at: usize) -> Option<u16> {
        Some(u16::from_ne_bytes(b.get(at..at + 2)?.try_into().ok()?))
    }

    fn u32_at(b: &[u8], at: usize) -> Option<u32> {
        Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
    }

    /// The uid in `reply`, if it is the kernel's answer for exactly this
    /// socket: one whole message of our sequence, of the diag type, for an
    /// IPv4 socket with these ports and addresses. An error message
    /// (`NLMSG_ERROR`: the socket is gone) or anything else: `None`.
    pub(super) fn answer(reply: &[u8], peer: SocketAddrV4, local: SocketAddrV4) -> Option<u32> {
        let len = usize::try_from(u32_at(reply, 0)?).ok()?;
        if len < NLMSG_HDR + MSG_LEN || len > reply.len() {
            return None;
        }
        if u16_at(reply, 4)? != SOCK_DIAG_BY_FAMILY || u32_at(reply, 8)? != SEQ {
            return None;
        }
        let msg = &reply[NLMSG_HDR..len];
        let want = sockid(peer, local);
        // The family, then the id's ports and addresses (not its interface or cookie).
        if msg[0] != AF_INET || msg[4..40] != want[..36] {
            return None;
        }
        u32_at(msg, 64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, TcpListener, TcpStream};

    fn uid() -> u32 {
        rustix::process::geteuid().as_raw()
    }

    #[test]
    fn finds_the_uid_in_a_table_line_by_its_addresses() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1 0000000000000000 100 0 0 10 0\n   1: 0100007F:D431 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1001        0 2 1 0000000000000000 20 4 30 10 -1\n";
        let find = |l: &str, r: &str| table.lines().find_map(|line| uid_in(line, l, r));
        assert_eq!(find("0100007F:D431", "0100007F:1F90"), Some(1001));
        assert_eq!(find("0100007F:D432", "0100007F:1F90"), None);
        assert_eq!(
            hex("127.0.0.1:54321".parse().unwrap()),
            format!("{:08X}:D431", u32::from_ne_bytes([127, 0, 0, 1]))
        );
    }

    /// A connection of this process, both ways.
    #[test]
    fn sees_its_own_connection_as_its_own_both_ways() {
        let server = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let client = TcpStream::connect(server.local_addr().unwrap()).unwrap();
        let (accepted, peer) = server.accept().unwrap();
        let local = accepted.local_addr().unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        for way in [Lookup::SockDiag, Lookup::Table] {
            assert_eq!(way.uid_of(peer, local), Some(uid()), "{way:?}");
        }
        assert_eq!(Lookup::probe(peer, local, uid()), Some(Lookup::SockDiag));
        // A socket that does not exist is nobody's.
        let nowhere: SocketAddr = "127.0.0.3:1".parse().unwrap();
        for way in [Lookup::SockDiag, Lookup::Table] {
            assert_eq!(way.uid_of(nowhere, local), None, "{way:?}");
        }
        drop(client);
        drop(accepted);
    }

    /// What one lookup costs with 4,000 sockets open (2,000 connections),
    /// printed, never asserted: `cargo test --lib server::peer -- --ignored
    /// --nocapture`. "whole table" is what every IMDS request used to cost.
    #[test]
    #[ignore]
    fn lookup_cost_with_many_sockets() {
        let server = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let mut held = Vec::new();
        for _ in 0..2000 {
            let client = TcpStream::connect(server.local_addr().unwrap()).unwrap();
            held.push((client, server.accept().unwrap()));
        }
        let (_, (accepted, peer)) = &held[held.len() / 2];
        let local = accepted.local_addr().unwrap();
        let nowhere: SocketAddr = "127.0.0.3:1".parse().unwrap();
        for (name, way, from) in [
            ("sock_diag", Lookup::SockDiag, *peer),
            ("table, to the match", Lookup::Table, *peer),
            ("whole table", Lookup::Table, nowhere),
        ] {
            let start = std::time::Instant::now();
            for _ in 0..200 {
                std::hint::black_box(way.uid_of(from, local));
            }
            println!("{name}: {:?} per lookup", start.elapsed() / 200);
        }
    }

    fn v4(s: &str) -> SocketAddrV4 {
        s.parse().unwrap()
    }

    /// A well-formed answer, as the kernel writes it.
    fn reply(peer: SocketAddrV4, local: SocketAddrV4, uid: u32) -> Vec<u8> {
        let req = diag::request(peer, local);
        let mut r = vec![0u8; 16 + 72];
        r[0..4].copy_from_slice(&88u32.to_ne_bytes());
        r[4..16].copy_from_slice(&req[4..16]);
        r[16] = 2;
        r[16 + 4..16 + 52].copy_from_slice(&req[24..72]);
        r[16 + 64..16 + 68].copy_from_slice(&uid.to_ne_bytes());
        r
    }

    #[test]
    fn a_sock_diag_answer_is_believed_only_when_whole_and_for_this_socket() {
        let (peer, local) = (v4("127.0.0.1:40000"), v4("127.0.0.1:8080"));
        let good = reply(peer, local, 1234);
        assert_eq!(diag::answer(&good, peer, local), Some(1234));
        // Other sockets, short or long lengths, other types, errors: never.
        assert_eq!(diag::answer(&good, v4("127.0.0.1:40001"), local), None);
        assert_eq!(diag::answer(&good, peer, v4("127.0.0.2:8080")), None);
        let mut bad: Vec<Vec<u8>> = Vec::new();
        for n in 0..good.len() {
            bad.push(good[..n].to_vec());
        }
        let mut edit = |at: usize, bytes: &[u8]| {
            let mut b = good.clone();
            b[at..at + bytes.len()].copy_from_slice(bytes);
            bad.push(b);
        };
        edit(0, &87u32.to_ne_bytes());
        edit(0, &89u32.to_ne_bytes());
        edit(0, &u32::MAX.to_ne_bytes());
        edit(4, &2u16.to_ne_bytes()); // NLMSG_ERROR
        edit(8, &1u32.to_ne_bytes());
        edit(16, &[10]);
        for b in &bad {
            assert_eq!(diag::answer(b, peer, local), None, "{b:?}");
        }
    }
}
