//! The age v1 file format (age-encryption.org/v1), passphrase (scrypt)
//! recipient only: what the encrypted key file is, readable with `age -d`.
//!
//! Written here on the RustCrypto primitives (scrypt, ChaCha20-Poly1305,
//! HKDF and HMAC with SHA-256) rather than with the `age` crate, whose
//! localisation, X25519 and plugin machinery made a clean release build about
//! 40 s of CPU slower for a format this small. The tests check both ways
//! against the `age` crate itself.
//!
//! Format: `age-encryption.org/v1`, one stanza `-> scrypt SALT LOG_N` whose
//! body is the 16-byte file key sealed with the scrypt-derived key, the
//! header MAC (`--- MAC`), then a 16-byte nonce and the payload in
//! ChaCha20-Poly1305 STREAM chunks of 64 KiB.

use chacha20poly1305::aead::Aead;
use chacha20poly1305::{ChaCha20Poly1305, KeyInit};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

const INTRO: &str = "age-encryption.org/v1";
const SCRYPT_LABEL: &[u8] = b"age-encryption.org/v1/scrypt";
const CHUNK: usize = 64 * 1024;
const TAG: usize = 16;

/// Why a file cannot be read.
#[derive(Debug, PartialEq, Eq)]
pub enum Error {
    /// The passphrase does not open the file key (or that stanza is damaged).
    WrongPassphrase,
    /// The file asks for more scrypt work than allowed.
    TooMuchWork,
    /// Not an age passphrase file, or damaged: what is wrong.
    Damaged(&'static str),
    /// No randomness from the OS, or a parameter scrypt refuses.
    Internal(&'static str),
}

fn random<const N: usize>() -> Result<[u8; N], Error> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|_| Error::Internal("no random bytes from the OS"))?;
    Ok(b)
}

fn hkdf(salt: &[u8], ikm: &[u8], info: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut okm = Zeroizing::new([0u8; 32]);
    // 32 bytes is always a valid HKDF-SHA256 output length.
    let _ = hkdf::Hkdf::<Sha256>::new(Some(salt), ikm).expand(info, okm.as_mut());
    okm
}

fn scrypt_key(pass: &[u8], salt: &[u8; 16], log_n: u8) -> Result<Zeroizing<[u8; 32]>, Error> {
    let mut full = SCRYPT_LABEL.to_vec();
    full.extend_from_slice(salt);
    let params = scrypt::Params::new(log_n, 8, 1, 32)
        .map_err(|_| Error::Internal("bad scrypt parameters"))?;
    let mut key = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(pass, &full, &params, key.as_mut())
        .map_err(|_| Error::Internal("bad scrypt output length"))?;
    Ok(key)
}

fn mac(file_key: &[u8], header: &[u8]) -> Hmac<Sha256> {
    let key = hkdf(&[], file_key, b"header");
    // HMAC takes keys of any length.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key.as_ref())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    m.update(header);
    m
}

fn nonce(counter: u64, last: bool) -> chacha20poly1305::Nonce {
    let mut n = [0u8; 12];
    n[3..11].copy_from_slice(&counter.to_be_bytes());
    n[11] = u8::from(last);
    n.into()
}

/// `plain` encrypted to `pass` with scrypt work factor 2^`log_n`.
pub fn encrypt(plain: &[u8], pass: &[u8], log_n: u8) -> Result<Vec<u8>, Error> {
    let file_key = Zeroizing::new(random::<16>()?);
    let salt = random::<16>()?;
    let key = scrypt_key(pass, &salt, log_n)?;
    let wrapped = ChaCha20Poly1305::new(key.as_ref().into())
        .encrypt(&[0u8; 12].into(), file_key.as_ref())
        .map_err(|_| Error::Internal("cannot seal the file key"))?;
    let mut out = format!(
        "{INTRO}\n-> scrypt {} {log_n}\n{}\n---",
        b64(&salt),
        b64(&wrapped)
    )
    .into_bytes();
    let tag = mac(file_key.as_ref(), &out).finalize().into_bytes();
    out.extend_from_slice(format!(" {}\n", b64(&tag)).as_bytes());
    let payload_nonce = random::<16>()?;
    out.extend_from_slice(&payload_nonce);
    let payload = ChaCha20Poly1305::new(
        hkdf(&payload_nonce, file_key.as_ref(), b"payload")
            .as_ref()
            .into(),
    );
    let chunks: Vec<&[u8]> = if plain.is_empty() {
        vec![&[]]
    } else {
        plain.chunks(CHUNK).collect()
    };
    for (i, chunk) in chunks.iter().enumerate() {
        let sealed = payload
            .encrypt(&nonce(i as u64, i + 1 == chunks.len()), *chunk)
            .map_err(|_| Error::Internal("cannot seal the payload"))?;
        out.extend_from_slice(&sealed);
    }
    Ok(out)
}

/// The plaintext of `file`, if `pass` opens it and it asks for at most
/// 2^`max_log_n` scrypt work.
pub fn decrypt(file: &[u8], pass: &[u8], max_log_n: u8) -> Result<Zeroizing<Vec<u8>>, Error> {
    let not_ours = Error::Damaged("is not an age passphrase file");
    // The header is text lines; the payload starts after the `--- ` line.
    let mut lines = Vec::new();
    let mut at = 0;
    let header_end;
    loop {
        let rest = file.get(at..).ok_or(Error::Damaged("is cut short"))?;
        let nl = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or(Error::Damaged("is cut short"))?;
        let line = std::str::from_utf8(&rest[..nl])
            .map_err(|_| Error::Damaged("is not an age passphrase file"))?;
        if lines.is_empty() && line != INTRO {
            return Err(not_ours);
        }
        lines.push((at, line));
        at += nl + 1;
        if line.starts_with("---") {
            header_end = at;
            break;
        }
        if lines.len() > 8 {
            return Err(not_ours);
        }
    }
    // Exactly: the intro, one scrypt stanza with a one-line body, the MAC line.
    let [(_, intro), (_, stanza), (_, body), (mac_at, mac_line)] = lines[..] else {
        return Err(not_ours);
    };
    if intro != INTRO {
        return Err(not_ours);
    }
    let args: Vec<&str> = stanza.split(' ').collect();
    let ["->", "scrypt", salt, log_n] = args[..] else {
        return Err(not_ours);
    };
    let salt: [u8; 16] = unb64(salt)
        .and_then(|s| s.try_into().ok())
        .ok_or(Error::Damaged("has a damaged header"))?;
    let log_n: u8 = match log_n.parse() {
        // Decimal digits only, no leading zero (Rust's parse also takes `+10`).
        Ok(n)
            if (1..=63).contains(&n)
                && !log_n.starts_with('0')
                && log_n.bytes().all(|b| b.is_ascii_digit()) =>
        {
            n
        }
        _ => return Err(Error::Damaged("has a damaged header")),
    };
    if log_n > max_log_n {
        return Err(Error::TooMuchWork);
    }
    let wrapped = unb64(body)
        .filter(|w| w.len() == 32 && body.len() < 64)
        .ok_or(Error::Damaged("has a damaged header"))?;
    let tag = mac_line
        .strip_prefix("--- ")
        .and_then(unb64)
        .filter(|t| t.len() == 32)
        .ok_or(Error::Damaged("has a damaged header"))?;
    let key = scrypt_key(pass, &salt, log_n)?;
    let file_key = Zeroizing::new(
        ChaCha20Poly1305::new(key.as_ref().into())
            .decrypt(&[0u8; 12].into(), wrapped.as_slice())
            .map_err(|_| Error::WrongPassphrase)?,
    );
    mac(&file_key, &file[..mac_at + 3])
        .verify_slice(&tag)
        .map_err(|_| Error::Damaged("has a damaged header (its MAC does not match)"))?;
    open_payload(&file_key, &file[header_end..])
}

/// The payload after the header: a 16-byte nonce, then STREAM chunks of 64 KiB
/// sealed with a key derived from the file key; the last chunk is marked and
/// only it may be short, and only a lone chunk may be empty.
fn open_payload(file_key: &[u8], payload: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
    let (payload_nonce, sealed) = payload
        .split_at_checked(16)
        .ok_or(Error::Damaged("is cut short"))?;
    if sealed.len() < TAG {
        return Err(Error::Damaged("is cut short"));
    }
    let cipher = ChaCha20Poly1305::new(hkdf(payload_nonce, file_key, b"payload").as_ref().into());
    let chunks: Vec<&[u8]> = sealed.chunks(CHUNK + TAG).collect();
    let mut plain = Zeroizing::new(Vec::with_capacity(sealed.len()));
    for (i, chunk) in chunks.iter().enumerate() {
        let last = i + 1 == chunks.len();
        let opened = Zeroizing::new(
            cipher
                .decrypt(&nonce(i as u64, last), *chunk)
                .map_err(|_| Error::Damaged("is damaged (its contents fail authentication)"))?,
        );
        if opened.is_empty() && (i > 0 || !last) {
            return Err(Error::Damaged("is damaged (an empty chunk)"));
        }
        plain.extend_from_slice(&opened);
    }
    Ok(plain)
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 without padding (age's encoding; bodies here fit one line).
fn b64(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

/// The inverse of [`b64`]; `None` for anything else (padding, non-canonical bits).
fn unb64(text: &str) -> Option<Vec<u8>> {
    let vals: Vec<u32> = text
        .bytes()
        .map(|c| ALPHABET.iter().position(|&a| a == c).map(|v| v as u32))
        .collect::<Option<_>>()?;
    if vals.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(vals.len() * 3 / 4);
    for chunk in vals.chunks(4) {
        let mut n = 0u32;
        for (i, v) in chunk.iter().enumerate() {
            n |= v << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        let keep = chunk.len() - 1;
        // Bits past the last byte must be zero (one canonical encoding).
        if keep < 3 && n & (0xff_ffff >> (8 * keep)) != 0 {
            return None;
        }
        out.extend_from_slice(&bytes[..keep]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    #[test]
    fn base64_round_trips_and_is_strict() {
        for n in 0..70 {
            let data: Vec<u8> = (0..n).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(unb64(&b64(&data)).unwrap(), data, "{n}");
        }
        assert_eq!(b64(b"hello"), "aGVsbG8");
        assert_eq!(unb64("aGVsbG8="), None);
        assert_eq!(unb64("aGVsbG9"), None, "non-canonical trailing bits");
        assert_eq!(unb64("a"), None);
    }

    #[test]
    fn round_trip_wrong_passphrase_and_damage() {
        for size in [0, 1, 100, CHUNK, CHUNK + 1, 2 * CHUNK - 5] {
            let plain: Vec<u8> = (0..size).map(|i| i as u8).collect();
            let file = encrypt(&plain, b"pass", 10).unwrap();
            assert_eq!(
                decrypt(&file, b"pass", 10).unwrap().as_slice(),
                plain,
                "{size}"
            );
            assert_eq!(decrypt(&file, b"wrong", 10), Err(Error::WrongPassphrase));
            assert_eq!(decrypt(&file, b"pass", 9), Err(Error::TooMuchWork));
            let mut bad = file.clone();
            let n = bad.len() - 1;
            bad[n] ^= 1;
            assert!(matches!(decrypt(&bad, b"pass", 10), Err(Error::Damaged(_))));
            // Cut anywhere in the header, and in or off the end of the payload.
            let ends = [file.len() - 1, file.len() - 17, file.len() / 2];
            for cut in (0..200).step_by(3).chain(ends).filter(|&c| c < file.len()) {
                assert!(decrypt(&file[..cut], b"pass", 10).is_err(), "cut {cut}");
            }
        }
        // The header changed after the MAC: damaged.
        let file = encrypt(b"x", b"pass", 10).unwrap();
        let text = String::from_utf8_lossy(&file).into_owned();
        let changed = text.replacen(" 10\n", " 10 \n", 1);
        assert!(decrypt(changed.as_bytes(), b"pass", 10).is_err());
    }

    /// The `age` crate (the reference implementation in Rust) reads ours, and we read its.
    #[test]
    fn interoperates_with_the_age_crate() {
        let plain = b"{\"version\":1,\"keys\":{}}";
        let ours = encrypt(plain, b"correct horse", 10).unwrap();
        let id = age::scrypt::Identity::new(age::secrecy::SecretString::from(
            "correct horse".to_string(),
        ));
        let mut out = Vec::new();
        age::Decryptor::new(&ours[..])
            .unwrap()
            .decrypt(std::iter::once(&id as &dyn age::Identity))
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, plain);

        let mut recipient = age::scrypt::Recipient::new(age::secrecy::SecretString::from(
            "correct horse".to_string(),
        ));
        recipient.set_work_factor(10);
        let mut theirs = Vec::new();
        let mut w =
            age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
                .unwrap()
                .wrap_output(&mut theirs)
                .unwrap();
        w.write_all(plain).unwrap();
        w.finish().unwrap();
        assert_eq!(
            decrypt(&theirs, b"correct horse", 10).unwrap().as_slice(),
            plain
        );
    }

    /// The age project's testkit (the vectors every age implementation runs),
    /// as the `age` package ships it: each scrypt file through [`decrypt`]
    /// with its passphrase, and each STREAM file's payload through
    /// [`open_payload`] with its file key (their header is X25519, which a
    /// passphrase file never has). Each must succeed with the payload's
    /// SHA-256, or fail, as its `expect` says.
    #[test]
    fn the_age_testkit() {
        use sha2::Digest;
        let dir = crate::testdata::package_dir("age").join("tests/testdata/testkit");
        let (mut scrypt, mut stream) = (0, 0);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&path).unwrap();
            let split = bytes.windows(2).position(|w| w == b"\n\n").unwrap();
            let (head, file) = (&bytes[..split], &bytes[split + 2..]);
            let inflated;
            let file = if head.ends_with(b"compressed: zlib") {
                inflated = miniz_oxide::inflate::decompress_to_vec_zlib(file).unwrap();
                &inflated[..]
            } else {
                file
            };
            let fields: std::collections::BTreeMap<&str, &str> = std::str::from_utf8(head)
                .unwrap()
                .lines()
                .filter_map(|l| l.split_once(": "))
                .collect();
            let expect = fields["expect"];
            let got = if let Some(pass) = fields.get("passphrase") {
                scrypt += 1;
                // The files ask for 2^10; work factor 23 must be refused.
                decrypt(file, pass.as_bytes(), 22)
            } else if name.starts_with("stream_") {
                stream += 1;
                let key: Vec<u8> = (0..fields["file key"].len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&fields["file key"][i..i + 2], 16).unwrap())
                    .collect();
                let at = file.windows(4).position(|w| w == b"\n---").unwrap() + 1;
                let end = at + file[at..].iter().position(|&b| b == b'\n').unwrap() + 1;
                open_payload(&key, &file[end..])
            } else {
                continue;
            };
            match (expect, &got) {
                ("success", Ok(plain)) => {
                    let digest = sha2::Sha256::digest(plain.as_slice());
                    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                    assert_eq!(hex, fields["payload"], "{name}");
                }
                ("success", Err(e)) => panic!("{name}: {e:?}"),
                (_, Ok(_)) => panic!("{name}: read, but the testkit expects {expect}"),
                (_, Err(_)) => {}
            }
        }
        assert_eq!(
            (scrypt, stream),
            (25, 28),
            "every scrypt and STREAM vector ran"
        );
    }
}
