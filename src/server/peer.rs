//! Who owns the other end of a loopback TCP connection, from the kernel's
//! socket table (`/proc/net/tcp`): the client's socket is the entry whose
//! local address is the peer's and whose remote address is the server's.

use std::net::{IpAddr, SocketAddr};

/// The table is one line per socket; a busy machine has thousands, each
/// about 150 bytes.
const MAX_TABLE: u64 = 64 * 1024 * 1024;

/// The uid owning the client socket `peer` connected to `local`, if found.
pub fn uid_of(peer: SocketAddr, local: SocketAddr) -> Option<u32> {
    let table = match peer.ip() {
        IpAddr::V4(_) => "/proc/net/tcp",
        IpAddr::V6(_) => "/proc/net/tcp6",
    };
    let mut text = String::new();
    use std::io::Read;
    std::fs::File::open(table)
        .ok()?
        .take(MAX_TABLE)
        .read_to_string(&mut text)
        .ok()?;
    find(&text, &hex(peer)?, &hex(local)?)
}

/// The table's spelling of an address: the IPv4 address as the kernel's
/// 32-bit value printed in native byte order, then the port, in hex.
fn hex(addr: SocketAddr) -> Option<String> {
    match addr.ip() {
        IpAddr::V4(ip) => Some(format!(
            "{:08X}:{:04X}",
            u32::from_ne_bytes(ip.octets()),
            addr.port()
        )),
        IpAddr::V6(_) => None,
    }
}

/// `sl local rem st queues tr retrnsmt uid …`: the uid of the line with
/// these addresses.
fn find(table: &str, local: &str, remote: &str) -> Option<u32> {
    table.lines().skip(1).find_map(|line| {
        let mut f = line.split_whitespace();
        let (_, l, r) = (f.next()?, f.next()?, f.next()?);
        if l != local || r != remote {
            return None;
        }
        f.nth(4)?.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_uid_of_a_socket_by_its_addresses() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1 0000000000000000 100 0 0 10 0\n   1: 0100007F:D431 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1001        0 2 1 0000000000000000 20 4 30 10 -1\n";
        assert_eq!(find(table, "0100007F:D431", "0100007F:1F90"), Some(1001));
        assert_eq!(find(table, "0100007F:D432", "0100007F:1F90"), None);
    }

    #[test]
    fn sees_its_own_connection_as_its_own() {
        let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(server.local_addr().unwrap()).unwrap();
        let (accepted, peer) = server.accept().unwrap();
        assert_eq!(peer, client.local_addr().unwrap());
        assert_eq!(
            uid_of(peer, accepted.local_addr().unwrap()),
            Some(rustix::process::geteuid().as_raw())
        );
    }
}
