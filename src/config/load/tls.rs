//! The `http_tls` tables: a context's, and a backend's own that replaces it.
//!
//! Paths are resolved against the config file's directory (`~/` against `$HOME`). When the
//! file is loaded from disk (not when text is only parsed, as for the example), each file is
//! read and checked here, so a missing file, a file that is not PEM, or a key that does not
//! belong to its certificate is an error with its file, line and key. An encrypted key is
//! checked once its passphrase is resolved, when the backend starts.

use std::path::PathBuf;

use super::{Parser, Value, join, resolve_dir};
use crate::config::model::HttpTls;
use crate::tls;

/// Keys allowed in an `http_tls` table.
pub(super) const HTTP_TLS_KEYS: &[&str] = &[
    "ca_file",
    "only_ca",
    "client_cert",
    "client_key",
    "client_key_password",
];

impl Parser<'_> {
    /// The `http_tls` key of `table` at `path`, else `inherited` (the context's).
    pub(super) fn http_tls_in(
        &mut self,
        table: &toml::de::DeTable<'_>,
        path: &str,
        inherited: &HttpTls,
    ) -> HttpTls {
        match table.get("http_tls") {
            Some(v) => self
                .http_tls(v, &join(path, "http_tls"))
                .unwrap_or_default(),
            None => inherited.clone(),
        }
    }

    /// One `http_tls` table.
    pub(super) fn http_tls(&mut self, v: &Value<'_>, path: &str) -> Option<HttpTls> {
        let t = self.table(v, path)?;
        self.check_keys(t, path, HTTP_TLS_KEYS);
        let mut tls = HttpTls::default();
        let file = |p: &mut Self, key: &str| -> Option<(PathBuf, std::ops::Range<usize>)> {
            let fv = t.get(key)?;
            let raw = p.non_empty_string(fv, &join(path, key))?;
            Some((p.resolve_file(&raw), fv.span()))
        };
        let ca = file(self, "ca_file");
        let cert = file(self, "client_cert");
        let key = file(self, "client_key");
        if let Some(ov) = t.get("only_ca") {
            tls.only_ca = self.bool(ov, &join(path, "only_ca")).unwrap_or(false);
            if tls.only_ca && !t.contains_key("ca_file") {
                self.error(
                    ov.span(),
                    &join(path, "only_ca"),
                    "only_ca = true needs ca_file (the CAs to trust instead of the system store)",
                );
            }
        }
        if let Some(pv) = t.get("client_key_password") {
            let k = join(path, "client_key_password");
            tls.client_key_password = self.secret(pv, &k, "OPSDECK_CLIENT_KEY_PASSWORD");
            if !t.contains_key("client_key") {
                self.error(pv.span(), &k, "client_key_password without client_key");
            }
        }
        match (t.contains_key("client_cert"), t.contains_key("client_key")) {
            (true, false) => self.error(
                v.span(),
                path,
                "client_cert needs client_key (the certificate's private key, PEM)",
            ),
            (false, true) => self.error(
                v.span(),
                path,
                "client_key needs client_cert (the client certificate, PEM)",
            ),
            _ => {}
        }
        if self.base.is_some() {
            self.check_tls_files(path, ca.as_ref(), cert.as_ref(), key.as_ref(), &tls);
        }
        tls.ca_file = ca.map(|(p, _)| p);
        tls.client_cert = cert.map(|(p, _)| p);
        tls.client_key = key.map(|(p, _)| p);
        Some(tls)
    }

    pub(super) fn resolve_file(&self, raw: &str) -> PathBuf {
        match self.base {
            Some(base) => resolve_dir(std::path::Path::new(raw), base, self.home.as_deref()),
            None => PathBuf::from(raw),
        }
    }

    /// Reads the files and reports what makes them unusable, each at its own key.
    fn check_tls_files(
        &mut self,
        path: &str,
        ca: Option<&(PathBuf, std::ops::Range<usize>)>,
        cert: Option<&(PathBuf, std::ops::Range<usize>)>,
        key: Option<&(PathBuf, std::ops::Range<usize>)>,
        tls: &HttpTls,
    ) {
        if let Some((file, span)) = ca
            && let Err(e) = tls::load_roots(file)
        {
            self.error(span.clone(), &join(path, "ca_file"), e.to_string());
        }
        let cert_ok = match cert {
            Some((file, span)) => match tls::load_certs(file) {
                Ok(_) => true,
                Err(e) => {
                    self.error(span.clone(), &join(path, "client_cert"), e.to_string());
                    false
                }
            },
            None => false,
        };
        let Some((key_file, key_span)) = key else {
            return;
        };
        let key_key = join(path, "client_key");
        match tls::key_is_encrypted(key_file) {
            Err(e) => self.error(key_span.clone(), &key_key, e.to_string()),
            // Checked when the backend starts and the passphrase is resolved.
            Ok(true) if tls.client_key_password.is_some() => {}
            Ok(true) => self.error(
                key_span.clone(),
                &key_key,
                tls::PemError::NeedsPassword {
                    path: key_file.clone(),
                }
                .to_string(),
            ),
            Ok(false) => {
                let result = match cert {
                    Some((cert_file, _)) if cert_ok => {
                        tls::load_identity(cert_file, key_file, None).map(drop)
                    }
                    _ => tls::load_key(key_file, None).map(drop),
                };
                if let Err(e) = result {
                    self.error(key_span.clone(), &key_key, e.to_string());
                }
            }
        }
    }
}
