//! Fake EC2 instance metadata (IMDSv2) and ECS container credential
//! endpoints on 127.0.0.1, built from AWS's documented shapes: for
//! `credential_source = Ec2InstanceMetadata | EcsContainer`.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;

/// One request as the fake saw it: method, path, and the headers that matter.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub token: Option<String>,
    pub authorization: Option<String>,
}

pub struct FakeMetadata {
    pub port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

/// The credentials document both services answer with (ECS names the token `Token` too).
pub fn credentials_json(id: &str, secret: &str, token: &str, expiration: &str) -> String {
    format!(
        "{{\"Code\":\"Success\",\"LastUpdated\":\"2026-01-01T00:00:00Z\",\"Type\":\"AWS-HMAC\",\"AccessKeyId\":\"{id}\",\"SecretAccessKey\":\"{secret}\",\"Token\":\"{token}\",\"Expiration\":\"{expiration}\"}}"
    )
}

pub const IMDS_TOKEN: &str = "imds-session-token-AQAEAE";
pub const ROLE_NAME: &str = "instance-role";

impl FakeMetadata {
    /// IMDSv2: `PUT /latest/api/token` (a TTL header required) hands out a
    /// token; every GET needs it (IMDSv1, without it, gets 401). With
    /// `v2_enabled` false the token call is refused (403), as on an instance
    /// that allows only v1.
    pub fn imds(credentials: String, v2_enabled: bool) -> FakeMetadata {
        Self::start(
            move |s: &Seen, ttl: bool| match (s.method.as_str(), s.path.as_str()) {
                ("PUT", "/latest/api/token") if v2_enabled && ttl => (200, IMDS_TOKEN.to_string()),
                ("PUT", "/latest/api/token") => (403, String::new()),
                _ if s.token.as_deref() != Some(IMDS_TOKEN) => (401, String::new()),
                ("GET", "/latest/meta-data/iam/security-credentials/") => {
                    (200, ROLE_NAME.to_string())
                }
                ("GET", p)
                    if p == format!("/latest/meta-data/iam/security-credentials/{ROLE_NAME}") =>
                {
                    (200, credentials.clone())
                }
                _ => (404, String::new()),
            },
        )
    }

    /// The container endpoint: `GET /creds` with exactly `token` in
    /// `Authorization`, else 401.
    pub fn container(credentials: String, token: &'static str) -> FakeMetadata {
        Self::start(
            move |s: &Seen, _| match (s.method.as_str(), s.path.as_str()) {
                ("GET", "/creds") if s.authorization.as_deref() == Some(token) => {
                    (200, credentials.clone())
                }
                ("GET", "/creds") => (401, String::new()),
                _ => (404, String::new()),
            },
        )
    }

    fn start(
        answer: impl Fn(&Seen, bool) -> (u16, String) + Send + Sync + 'static,
    ) -> FakeMetadata {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (log, answer) = (seen.clone(), Arc::new(answer));
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (log, answer) = (log.clone(), answer.clone());
                thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(10)));
                    let mut reader = BufReader::new(match stream.try_clone() {
                        Ok(s) => s,
                        Err(_) => return,
                    });
                    let mut line = String::new();
                    if reader.read_line(&mut line).is_err() {
                        return;
                    }
                    let mut parts = line.split_whitespace();
                    let (method, path) = (
                        parts.next().unwrap_or("").to_string(),
                        parts.next().unwrap_or("").to_string(),
                    );
                    let (mut token, mut authorization, mut ttl) = (None, None, false);
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                            break;
                        }
                        let (name, value) = h.split_once(':').unwrap_or((&h, ""));
                        let value = value.trim().to_string();
                        match name.to_ascii_lowercase().as_str() {
                            "x-aws-ec2-metadata-token" => token = Some(value),
                            "x-aws-ec2-metadata-token-ttl-seconds" => ttl = true,
                            "authorization" => authorization = Some(value),
                            _ => {}
                        }
                    }
                    let s = Seen {
                        method,
                        path,
                        token,
                        authorization,
                    };
                    let (status, body) = answer(&s, ttl);
                    // IMDS says how long its token lasts.
                    let extra = if status == 200 && s.path == "/latest/api/token" {
                        "x-aws-ec2-metadata-token-ttl-seconds: 21600\r\n"
                    } else {
                        ""
                    };
                    log.lock().unwrap().push(s);
                    let mut stream = stream;
                    let _ = write!(
                        stream,
                        "HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.flush();
                });
            }
        });
        FakeMetadata { port, seen }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}
