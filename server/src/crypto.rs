//! Encryption at rest for credentials the server must read back (registry passwords):
//! XChaCha20-Poly1305 with a random nonce per value, under a key from `CUBIST_SECRET_KEY`
//! or, on a single machine, a key file created in the data directory.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};

const VERSION: &str = "v1:";
const KEY_FILE: &str = "secret.key";

/// Seals and opens secrets.
#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    /// From a base64 key of 32 bytes.
    pub fn from_base64(key: &str) -> Result<Self, String> {
        let bytes = STANDARD.decode(key.trim()).map_err(|_| "is not base64".to_owned())?;
        if bytes.len() != 32 {
            return Err(format!("must be 32 bytes, base64-encoded (got {} bytes)", bytes.len()));
        }
        Ok(Self { cipher: XChaCha20Poly1305::new(Key::from_slice(&bytes)) })
    }

    /// The key in `data_dir/secret.key`, created (owner-only) when missing.
    pub fn from_data_dir(data_dir: &Path) -> Result<Self, String> {
        let path = data_dir.join(KEY_FILE);
        if let Ok(text) = std::fs::read_to_string(&path) {
            return Self::from_base64(&text).map_err(|e| format!("{}: {e}", path.display()));
        }
        let key = STANDARD.encode(XChaCha20Poly1305::generate_key(&mut OsRng));
        write_private(&path, &key).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        Self::from_base64(&key)
    }

    pub fn seal(&self, plaintext: &str) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self.cipher.encrypt(&nonce, plaintext.as_bytes()).unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{VERSION}{}", STANDARD.encode(out))
    }

    /// `None` when the value was not sealed with this key or was altered.
    pub fn open(&self, sealed: &str) -> Option<String> {
        let bytes = STANDARD.decode(sealed.strip_prefix(VERSION)?).ok()?;
        if bytes.len() < 24 {
            return None;
        }
        let (nonce, body) = bytes.split_at(24);
        let plain = self.cipher.decrypt(XNonce::from_slice(nonce), body).ok()?;
        String::from_utf8(plain).ok()
    }
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(text.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_and_tamper() {
        let dir = tempfile::tempdir().unwrap();
        let a = SecretBox::from_data_dir(dir.path()).unwrap();
        let sealed = a.seal("hunter2");
        assert!(sealed.starts_with("v1:") && !sealed.contains("hunter2"));
        assert_ne!(sealed, a.seal("hunter2"), "every seal has its own nonce");
        assert_eq!(a.open(&sealed).as_deref(), Some("hunter2"));
        let again = SecretBox::from_data_dir(dir.path()).unwrap();
        assert_eq!(again.open(&sealed).as_deref(), Some("hunter2"), "the key file is reused");
        let other = SecretBox::from_base64(&STANDARD.encode([7u8; 32])).unwrap();
        assert_eq!(other.open(&sealed), None);
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push('A');
        assert_eq!(a.open(&tampered), None);
        assert!(SecretBox::from_base64("c2hvcnQ=").is_err());
    }
}
