//! The Secret Service API (freedesktop.org) over [`super::dbus`]: GNOME
//! Keyring, KWallet, KeePassXC. One item per profile in the default
//! collection, with the attributes `service=awscred`, `username=PROFILE`
//! (what `secret-tool lookup service awscred username PROFILE` finds).
//!
//! The session uses the `plain` algorithm: the secret crosses the user's own
//! bus socket unencrypted, as it does in every process that reads it; the
//! `dh-ietf1024` alternative only protects against the bus daemon itself,
//! and costs a big-number implementation.
//!
//! A locked collection or item is unlocked through the service's prompt (the
//! desktop asks for the keyring password), waited for up to two minutes.

use super::dbus::{Bus, DbusError, Value, W};
use crate::error::{fail, Kind};
use anyhow::Result;
use std::time::Duration;
use zeroize::Zeroizing;

const DEST: &str = "org.freedesktop.secrets";
const PATH: &str = "/org/freedesktop/secrets";
const SERVICE: &str = "org.freedesktop.Secret.Service";
const COLLECTION: &str = "org.freedesktop.Secret.Collection";
const ITEM: &str = "org.freedesktop.Secret.Item";
const PROMPT: &str = "org.freedesktop.Secret.Prompt";
/// How long a person may take at the unlock prompt.
const PROMPT_WAIT: Duration = Duration::from_secs(120);

pub struct SecretService {
    bus: Bus,
    session: String,
    /// The service's unique name on the bus: the only sender of its prompts' signals.
    owner: String,
}

/// What went wrong, in one line, with the fix.
fn explain(e: anyhow::Error, doing: &str) -> anyhow::Error {
    let Some(d) = e.downcast_ref::<DbusError>() else {
        return e;
    };
    let why = match d.name.as_str() {
        "org.freedesktop.DBus.Error.ServiceUnknown" | "org.freedesktop.DBus.Error.NameHasNoOwner" => {
            "there is no Secret Service on the session bus (start gnome-keyring, KWallet or KeePassXC's Secret Service integration)".to_string()
        }
        "org.freedesktop.Secret.Error.IsLocked" => "the keyring is locked".to_string(),
        _ => format!("the Secret Service answered {d}"),
    };
    fail(
        Kind::Input,
        format!("cannot {doing} in the OS credential store: {why}: or use `--store file`"),
    )
}

fn attributes(w: &mut W, profile: &str) {
    w.array(8, |w| {
        for (k, v) in [("service", "awscred"), ("username", profile)] {
            w.structure(|w| {
                w.str(k);
                w.str(v);
            })
        }
    });
}

fn object(v: Option<&Value>) -> Result<String> {
    v.and_then(Value::str).map(str::to_string).ok_or_else(|| {
        fail(
            Kind::Input,
            "the Secret Service sent an answer awscred cannot read: check it, or use `--store file`",
        )
    })
}

fn objects(v: Option<&Value>) -> Vec<String> {
    v.map(|v| {
        v.items()
            .iter()
            .filter_map(|o| o.str().map(str::to_string))
            .collect()
    })
    .unwrap_or_default()
}

impl SecretService {
    pub fn connect(address: Option<&str>, runtime_dir: Option<&str>) -> Result<SecretService> {
        SecretService::on(Bus::session(address, runtime_dir)?)
    }

    fn on(mut bus: Bus) -> Result<SecretService> {
        let owner = bus
            .owner(DEST)
            .map_err(|e| explain(e, "reach the Secret Service"))?;
        let mut w = W::default();
        w.str("plain");
        w.variant("s", |w| w.str(""));
        let out = bus
            .call(DEST, PATH, SERVICE, "OpenSession", "sv", &w.buf)
            .map_err(|e| explain(e, "open a session"))?;
        let session = object(out.get(1))?;
        Ok(SecretService {
            bus,
            session,
            owner,
        })
    }

    fn call(
        &mut self,
        path: &str,
        iface: &str,
        member: &str,
        sig: &str,
        body: &[u8],
    ) -> Result<Vec<Value>> {
        self.bus.call(DEST, path, iface, member, sig, body)
    }

    /// Runs the prompt at `prompt` (unless it is `/`): the desktop asks the
    /// person; false when they dismissed it.
    fn prompt(&mut self, prompt: &str) -> Result<bool> {
        if prompt == "/" {
            return Ok(true);
        }
        let mut rule = W::default();
        rule.str(&format!(
            "type='signal',interface='{PROMPT}',member='Completed',path='{prompt}'"
        ));
        self.bus.call(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "AddMatch",
            "s",
            &rule.buf,
        )?;
        let mut w = W::default();
        w.str("");
        self.call(prompt, PROMPT, "Prompt", "s", &w.buf)?;
        let done = self
            .bus
            .signal(&self.owner, prompt, PROMPT, "Completed", PROMPT_WAIT)?;
        let dismissed = done.first().and_then(Value::bool).unwrap_or(true);
        Ok(!dismissed)
    }

    fn unlock(&mut self, paths: &[String], doing: &str) -> Result<()> {
        let mut w = W::default();
        w.array(4, |w| {
            for p in paths {
                w.str(p);
            }
        });
        let out = self
            .call(PATH, SERVICE, "Unlock", "ao", &w.buf)
            .map_err(|e| explain(e, doing))?;
        if !self.prompt(&object(out.get(1))?)? {
            return Err(fail(
                Kind::Input,
                format!("cannot {doing} in the OS credential store: the unlock prompt was dismissed: unlock your keyring, then retry"),
            ));
        }
        Ok(())
    }

    /// The items of `profile`: (unlocked, locked).
    fn search(&mut self, profile: &str) -> Result<(Vec<String>, Vec<String>)> {
        let mut w = W::default();
        attributes(&mut w, profile);
        let out = self
            .call(PATH, SERVICE, "SearchItems", "a{ss}", &w.buf)
            .map_err(|e| explain(e, "search"))?;
        Ok((objects(out.first()), objects(out.get(1))))
    }

    /// The secret of `profile`'s item, `None` without one.
    pub fn get(&mut self, profile: &str) -> Result<Option<Zeroizing<Vec<u8>>>> {
        let (mut unlocked, locked) = self.search(profile)?;
        if unlocked.is_empty() && !locked.is_empty() {
            self.unlock(&locked, "read the key")?;
            unlocked = self.search(profile)?.0;
        }
        let Some(item) = unlocked.first().cloned() else {
            return Ok(None);
        };
        let mut w = W::default();
        w.str(&self.session.clone());
        let out = self
            .call(&item, ITEM, "GetSecret", "o", &w.buf)
            .map_err(|e| explain(e, "read the key"))?;
        match out.first().map(Value::items).and_then(|s| s.get(2)) {
            Some(Value::Bytes(b)) => Ok(Some(b.0.clone())),
            _ => Err(object(None).unwrap_err()),
        }
    }

    /// Stores `secret` as `profile`'s item, replacing one there.
    pub fn set(&mut self, profile: &str, secret: &[u8]) -> Result<()> {
        let mut w = W::default();
        w.str("default");
        let out = self
            .call(PATH, SERVICE, "ReadAlias", "s", &w.buf)
            .map_err(|e| explain(e, "store the key"))?;
        let collection = object(out.first())?;
        if collection == "/" {
            return Err(fail(
                Kind::Input,
                "cannot store the key in the OS credential store: it has no default keyring: create one (e.g. with Seahorse), or use `--store file`",
            ));
        }
        self.unlock(std::slice::from_ref(&collection), "store the key")?;
        let mut w = W::default();
        w.array(8, |w| {
            w.structure(|w| {
                w.str("org.freedesktop.Secret.Item.Label");
                w.variant("s", |w| {
                    w.str(&format!("awscred: AWS access key of profile {profile}"))
                });
            });
            w.structure(|w| {
                w.str("org.freedesktop.Secret.Item.Attributes");
                w.variant("a{ss}", |w| attributes(w, profile));
            });
        });
        let session = self.session.clone();
        w.structure(|w| {
            w.str(&session);
            w.bytes(b"");
            w.bytes(secret);
            w.str("application/json");
        });
        w.bool(true);
        let out = self
            .call(
                &collection,
                COLLECTION,
                "CreateItem",
                "a{sv}(oayays)b",
                &w.buf,
            )
            .map_err(|e| explain(e, "store the key"))?;
        if !self.prompt(&object(out.get(1))?)? {
            return Err(fail(
                Kind::Input,
                "cannot store the key in the OS credential store: the prompt was dismissed: nothing was stored",
            ));
        }
        Ok(())
    }

    /// Deletes `profile`'s items; none is not an error.
    pub fn delete(&mut self, profile: &str) -> Result<()> {
        let (unlocked, locked) = self.search(profile)?;
        if !locked.is_empty() {
            self.unlock(&locked, "delete the key")?;
        }
        for item in unlocked.into_iter().chain(locked) {
            let out = self
                .call(&item, ITEM, "Delete", "", &[])
                .map_err(|e| explain(e, "delete the key"))?;
            self.prompt(&object(out.first())?)?;
        }
        Ok(())
    }
}
