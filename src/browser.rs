//! Opening a URL that is a bearer token (the console's login URL) in the
//! user's browser without putting it in any process's argv, where every local
//! user can read it (`/proc/PID/cmdline`, `ps`).
//!
//! The URL goes into a private page (0600, in a 0700 directory under the
//! cache directory, through `fsafe`) that redirects to it; the browser is
//! given the page's `file://` URL. The page links a stylesheet beside it, so
//! awscred can tell the browser has loaded it: a browser asks for the
//! stylesheet before it runs the redirect, while a program that only sniffs
//! the file's type (xdg-open's `xdg-mime`, gio) never does. On Linux awscred
//! watches for that (inotify) and removes both files at once; it waits at
//! most [`LOAD_WAIT`], long enough for a browser started cold (a snap takes
//! several seconds), then removes them anyway. Elsewhere it removes them
//! after [`FIXED_WAIT`]. A run killed before then leaves them behind until
//! the next run removes pages older than [`STALE`] (the token in them is
//! good for 15 minutes at most).

use crate::error::{fail, report, Kind};
use crate::fsafe::{Dir, IfMissing};
use crate::secret::Secret;
use anyhow::Result;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The longest awscred waits for the browser to load the page.
pub const LOAD_WAIT: Duration = Duration::from_secs(60);
/// Without a way to see the page loaded: how long it stays.
pub const FIXED_WAIT: Duration = Duration::from_secs(10);
/// Pages left by a killed run are removed by the next run after this long.
pub const STALE: Duration = Duration::from_secs(120);

/// The commands to try, in order: each entry of `BROWSER` (`:`-separated,
/// split into words as a shell would, `%s` replaced by `target`, else
/// `target` added last; `%%` is `%`), else the platform's opener.
pub fn commands(browser_var: Option<&str>, target: &str) -> Vec<Vec<String>> {
    let Some(var) = browser_var else {
        let opener: Vec<&str> = if cfg!(target_os = "macos") {
            vec!["open"]
        } else if cfg!(windows) {
            vec!["cmd", "/C", "start", ""]
        } else {
            vec!["xdg-open"]
        };
        let mut argv: Vec<String> = opener.into_iter().map(String::from).collect();
        argv.push(target.to_string());
        return vec![argv];
    };
    var.split(if cfg!(windows) { ';' } else { ':' })
        .filter_map(|entry| {
            let words = split_words(entry)?;
            if words.is_empty() {
                return None;
            }
            let mut substituted = false;
            let mut argv: Vec<String> = words
                .iter()
                .map(|w| {
                    let (out, did) = substitute(w, target);
                    substituted |= did;
                    out
                })
                .collect();
            if !substituted {
                argv.push(target.to_string());
            }
            Some(argv)
        })
        .collect()
}

/// `%s` → `target`, `%%` → `%`; whether `%s` occurred.
fn substitute(word: &str, target: &str) -> (String, bool) {
    let mut out = String::new();
    let mut did = false;
    let mut chars = word.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('%', Some('s')) => {
                chars.next();
                out.push_str(target);
                did = true;
            }
            ('%', Some('%')) => {
                chars.next();
                out.push('%');
            }
            _ => out.push(c),
        }
    }
    (out, did)
}

/// Words as a POSIX shell splits them without expansions: white space
/// separates, `'…'` is literal, `"…"` and `\` escape. `None` when a quote is
/// left open.
fn split_words(s: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if let Some(w) = word.take() {
                    words.push(w);
                }
            }
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => w.push(c),
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next()? {
                        '"' => break,
                        '\\' => match chars.next()? {
                            c @ ('"' | '\\' | '$' | '`') => w.push(c),
                            c => {
                                w.push('\\');
                                w.push(c);
                            }
                        },
                        c => w.push(c),
                    }
                }
            }
            '\\' => word.get_or_insert_with(String::new).push(chars.next()?),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    Some(words)
}

/// The page: a redirect to `url` by script (during parsing, once), by a
/// meta refresh without script, and a link. `css` is the stylesheet the
/// browser asks for first.
fn page(url: &str, css: &str) -> String {
    let attr = html_escape(url);
    // In a script, `<` is written `\u003c` so no `</script>` can end it early.
    let js = serde_json::to_string(url)
        .unwrap_or_else(|_| "\"\"".into())
        .replace('<', "\\u003c");
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\
<meta name=\"referrer\" content=\"no-referrer\">\
<title>awscred: opening AWS</title>\
<link rel=\"stylesheet\" href=\"{css}\">\
<script>location.replace({js});</script>\
<noscript><meta http-equiv=\"refresh\" content=\"0;url={attr}\"></noscript>\
</head><body><p>Opening AWS&hellip; <a href=\"{attr}\">continue</a></p></body></html>\n"
    )
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Removes pages (and their stylesheets) older than [`STALE`], left by a
/// killed run. Their names carry the time they were written.
fn sweep(dir: &Dir, now: u64) {
    for name in dir.names().unwrap_or_default() {
        let written = name
            .strip_prefix("signin-")
            .and_then(|rest| rest.split('-').next())
            .and_then(|secs| secs.parse::<u64>().ok());
        if written.is_some_and(|t| t + STALE.as_secs() < now) {
            let _ = dir.remove(&name);
        }
    }
}

/// The page's two files, removed when dropped (on every path out).
struct Written<'d> {
    dir: &'d Dir,
    html: String,
    css: String,
}

impl Drop for Written<'_> {
    fn drop(&mut self) {
        for name in [&self.html, &self.css] {
            if let Err(e) = self.dir.remove(name) {
                report(&format!(
                    "warning: {e:#}: remove it, it holds a console sign-in token"
                ));
            }
        }
    }
}

/// Opens `url` in the browser through a private page in `cache_dir/console`
/// (see the module comment). Fails only when no browser could be started or
/// every one failed.
/// `instead` is what the user can do when no browser opens (for messages).
pub fn open(cache_dir: &Dir, url: &Secret, browser_var: Option<&str>, instead: &str) -> Result<()> {
    let dir = Dir::private(&cache_dir.path().join("console"), IfMissing::Create)?
        .ok_or_else(|| anyhow::anyhow!("cannot create {}/console", cache_dir.path().display()))?;
    let now = unix_now();
    sweep(&dir, now);
    let random = getrandom::u64()
        .map_err(|e| anyhow::anyhow!("cannot get random bytes from the OS: {e}"))?;
    let stem = format!("signin-{now}-{random:016x}");
    let files = Written {
        dir: &dir,
        html: format!("{stem}.html"),
        css: format!("{stem}.css"),
    };
    dir.write_atomic(&files.css, b"/* awscred: the page has loaded */\n", 0o600)?;
    dir.write_atomic(
        &files.html,
        page(url.expose(), &files.css).as_bytes(),
        0o600,
    )?;
    let target = file_url(&dir.path().join(&files.html))?;
    let mut watch = Watch::new(dir.path(), &files.css);

    let commands = commands(browser_var, &target);
    let source = match browser_var {
        Some(_) => "BROWSER",
        None => "the platform's opener",
    };
    let mut why = None;
    for argv in &commands {
        let name = crate::process::describe(source, &argv.join(" "));
        let mut child = match start(argv) {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                why.get_or_insert_with(|| format!("{name} was not found"));
                continue;
            }
            Err(e) => {
                why = Some(format!("{name} could not be started ({e})"));
                continue;
            }
        };
        match wait_for_load(&mut child, &mut watch) {
            Loaded::Yes => return Ok(()),
            Loaded::Failed(status) => {
                why = Some(format!("{name} failed ({status})"));
            }
            Loaded::Unknown => {
                report(&format!(
                    "warning: the browser has not loaded the sign-in page within {} s, so awscred removed it (it holds a sign-in token): if the page did not open, use {instead}",
                    watch.limit().as_secs()
                ));
                return Ok(());
            }
        }
    }
    let why = why.unwrap_or_else(|| "BROWSER names no command".to_string());
    Err(fail(
        Kind::Exec,
        format!("cannot open a browser: {why}: set BROWSER to your browser, or use {instead}"),
    ))
}

/// The page's `file://` URL (what `BROWSER` commands are given: the
/// webbrowser convention passes URLs).
fn file_url(path: &Path) -> Result<String> {
    url::Url::from_file_path(path)
        .map(String::from)
        .map_err(|()| anyhow::anyhow!("cannot make a file URL of {}", path.display()))
}

/// Starts a browser command: secret inputs scrubbed, no terminal input or
/// output, its own process group (see `process::detached`).
fn start(argv: &[String]) -> std::io::Result<Child> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))?;
    let mut cmd = Command::new(program);
    cmd.args(args);
    crate::process::detached(&mut cmd)
}

enum Loaded {
    Yes,
    /// The command ended with this failure before the page was loaded.
    Failed(std::process::ExitStatus),
    /// Not seen loaded within the limit (or no way to see it).
    Unknown,
}

/// Waits until the browser has loaded the page, the command has failed, or
/// the limit has passed. A command still running then (a browser started in
/// the foreground) is left running: it is the user's browser now.
fn wait_for_load(child: &mut Child, watch: &mut Watch) -> Loaded {
    let start = Instant::now();
    loop {
        if watch.loaded() {
            let _ = child.try_wait();
            return Loaded::Yes;
        }
        if let Ok(Some(status)) = child.try_wait() {
            if !status.success() {
                return Loaded::Failed(status);
            }
        }
        if start.elapsed() >= watch.limit() {
            return Loaded::Unknown;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sees the browser open the page's stylesheet: inotify on Linux.
struct Watch {
    #[cfg(target_os = "linux")]
    fd: Option<std::os::fd::OwnedFd>,
    #[cfg(target_os = "linux")]
    css: std::ffi::CString,
    seen: bool,
}

impl Watch {
    #[cfg(target_os = "linux")]
    fn new(dir: &Path, css: &str) -> Watch {
        use rustix::fs::inotify;
        let fd = inotify::init(inotify::CreateFlags::CLOEXEC | inotify::CreateFlags::NONBLOCK)
            .ok()
            .filter(|fd| inotify::add_watch(fd, dir, inotify::WatchFlags::OPEN).is_ok());
        Watch {
            fd,
            css: std::ffi::CString::new(css).unwrap_or_default(),
            seen: false,
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn new(_dir: &Path, _css: &str) -> Watch {
        Watch { seen: false }
    }

    /// How long to wait: until loaded when that can be seen, else a fixed time.
    fn limit(&self) -> Duration {
        #[cfg(target_os = "linux")]
        if self.fd.is_some() {
            return LOAD_WAIT;
        }
        FIXED_WAIT
    }

    #[cfg(target_os = "linux")]
    fn loaded(&mut self) -> bool {
        use rustix::fs::inotify;
        use std::mem::MaybeUninit;
        if self.seen {
            return true;
        }
        let Some(fd) = &self.fd else { return false };
        let mut buf = [MaybeUninit::uninit(); 4096];
        let mut events = inotify::Reader::new(fd, &mut buf);
        while let Ok(event) = events.next() {
            if event.file_name() == Some(self.css.as_c_str()) {
                self.seen = true;
            }
        }
        self.seen
    }

    #[cfg(not(target_os = "linux"))]
    fn loaded(&mut self) -> bool {
        self.seen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_follows_the_xdg_and_webbrowser_convention() {
        let t = "file:///tmp/a%20b.html";
        assert_eq!(
            commands(Some("firefox"), t),
            vec![vec!["firefox".to_string(), t.to_string()]]
        );
        let cmds = commands(
            Some(
                "nope --x : 'my browser' --new-tab=%s --p=100%% :  : sh -c \"echo \\\"$1\\\"\" sh",
            ),
            t,
        );
        assert_eq!(cmds.len(), 3, "{cmds:?}");
        assert_eq!(cmds[0], ["nope", "--x", t]);
        assert_eq!(
            cmds[1],
            [
                "my browser".to_string(),
                format!("--new-tab={t}"),
                "--p=100%".into()
            ]
        );
        assert_eq!(cmds[2], ["sh", "-c", "echo \"$1\"", "sh", t]);
        assert!(commands(Some("'open"), t).is_empty());
        assert_eq!(commands(None, t).len(), 1);
    }

    #[test]
    fn the_page_redirects_once_and_cannot_be_broken_out_of() {
        let p = page("https://x/?a=1&b=\"</script><b>'", "s.css");
        assert!(
            p.contains("location.replace(\"https://x/?a=1&b=\\\"\\u003c/script>\\u003cb>'\");"),
            "{p}"
        );
        assert!(p.contains(
            "content=\"0;url=https://x/?a=1&amp;b=&quot;&lt;/script&gt;&lt;b&gt;&#39;\""
        ));
        assert!(p.contains("<link rel=\"stylesheet\" href=\"s.css\">"));
        assert_eq!(p.matches("</script>").count(), 1);
    }
}
