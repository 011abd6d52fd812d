//! TLS for SMPP connections (`smpps://`): rustls (ring provider) configuration for the ESME
//! (system roots or a given CA, optional client certificate) and the SMSC side (certificate
//! chain and key, optional client certificate verification). Private keys never show in
//! `Debug` output.

use std::fmt;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::WebPkiClientVerifier;

/// Why a TLS configuration could not be built, or a handshake failed.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A PEM input did not parse.
    #[error("cannot read the {what} PEM: {detail}: give PEM-encoded data")]
    Pem {
        /// Which input (`CA certificate`, `certificate chain`, `private key`).
        what: &'static str,
        /// The parser's complaint.
        detail: String,
    },
    /// No trust anchors: the system store is empty or unreadable, or the CA PEM holds none.
    #[error("no trusted CA certificates: install system roots or give a CA certificate")]
    NoRoots,
    /// The host is not a valid TLS server name.
    #[error("{0:?} is not a valid TLS server name: set `server_name`")]
    InvalidServerName(String),
    /// rustls refused the configuration (e.g. a key that does not match the certificate).
    #[error("TLS configuration refused: {0}")]
    Config(#[from] rustls::Error),
    /// The client certificate verifier could not be built.
    #[error("cannot build the client certificate verifier: {0}")]
    Verifier(String),
}

/// Which CAs the ESME trusts.
#[derive(Clone, Debug, Default)]
pub enum TlsRoots {
    /// The operating system's store (via `rustls-native-certs`).
    #[default]
    System,
    /// One or more CA certificates, PEM-encoded.
    CaPem(Arc<[u8]>),
}

/// A certificate chain and its private key, PEM-encoded. `Debug` shows no key material.
#[derive(Clone)]
pub struct CertifiedKeyPem {
    chain_pem: Arc<[u8]>,
    key_pem: Arc<[u8]>,
}

impl CertifiedKeyPem {
    /// A certificate chain (leaf first) and its private key (PKCS#8, PKCS#1 or SEC1), both PEM.
    pub fn new(chain_pem: impl Into<Vec<u8>>, key_pem: impl Into<Vec<u8>>) -> Self {
        CertifiedKeyPem {
            chain_pem: chain_pem.into().into(),
            key_pem: key_pem.into().into(),
        }
    }

    fn load(&self) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TlsError> {
        let chain = certs(&self.chain_pem, "certificate chain")?;
        let key = PrivateKeyDer::from_pem_slice(&self.key_pem).map_err(|e| TlsError::Pem {
            what: "private key",
            detail: e.to_string(),
        })?;
        Ok((chain, key))
    }
}

impl fmt::Debug for CertifiedKeyPem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertifiedKeyPem")
            .field(
                "chain_pem",
                &format_args!("<{} octets>", self.chain_pem.len()),
            )
            .field("key_pem", &format_args!("<redacted>"))
            .finish()
    }
}

/// TLS settings of an ESME connection.
#[derive(Clone, Debug, Default)]
pub struct TlsClientConfig {
    /// Which CAs to trust.
    pub roots: TlsRoots,
    /// A client certificate to present, if the SMSC asks for one.
    pub client_cert: Option<CertifiedKeyPem>,
    /// The name to verify the server certificate against; defaults to the host of the address.
    pub server_name: Option<String>,
}

impl TlsClientConfig {
    /// Trust only the CA(s) in `ca_pem`.
    pub fn with_ca_pem(ca_pem: impl Into<Vec<u8>>) -> Self {
        TlsClientConfig {
            roots: TlsRoots::CaPem(ca_pem.into().into()),
            ..TlsClientConfig::default()
        }
    }

    /// The rustls configuration.
    pub fn build(&self) -> Result<Arc<rustls::ClientConfig>, TlsError> {
        let mut roots = RootCertStore::empty();
        match &self.roots {
            TlsRoots::System => {
                let found = rustls_native_certs::load_native_certs();
                for err in &found.errors {
                    tracing::debug!(error = %err, "while loading system CA certificates");
                }
                roots.add_parsable_certificates(found.certs);
            }
            TlsRoots::CaPem(pem) => {
                for cert in certs(pem, "CA certificate")? {
                    roots.add(cert)?;
                }
            }
        }
        if roots.is_empty() {
            return Err(TlsError::NoRoots);
        }
        let builder = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots);
        let config = match &self.client_cert {
            Some(ck) => {
                let (chain, key) = ck.load()?;
                builder.with_client_auth_cert(chain, key)?
            }
            None => builder.with_no_client_auth(),
        };
        Ok(Arc::new(config))
    }

    /// The server name to verify: `server_name`, else `host`.
    pub(crate) fn server_name(&self, host: &str) -> Result<ServerName<'static>, TlsError> {
        let name = self.server_name.as_deref().unwrap_or(host);
        let name = name.trim_start_matches('[').trim_end_matches(']');
        ServerName::try_from(name.to_owned()).map_err(|_| TlsError::InvalidServerName(name.into()))
    }
}

/// TLS settings of the SMSC side.
#[derive(Clone, Debug)]
pub struct TlsServerConfig {
    /// The server's certificate chain and key.
    pub identity: CertifiedKeyPem,
    /// CA(s) whose client certificates are accepted; `None` asks for no client certificate.
    pub client_ca_pem: Option<Arc<[u8]>>,
    /// With `client_ca_pem`: refuse clients without a certificate (otherwise it is optional).
    pub require_client_cert: bool,
}

impl TlsServerConfig {
    /// A server presenting `identity`, asking for no client certificate.
    pub fn new(identity: CertifiedKeyPem) -> Self {
        TlsServerConfig {
            identity,
            client_ca_pem: None,
            require_client_cert: false,
        }
    }

    /// The rustls configuration.
    pub fn build(&self) -> Result<Arc<rustls::ServerConfig>, TlsError> {
        let builder = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?;
        let builder = match &self.client_ca_pem {
            Some(pem) => {
                let mut roots = RootCertStore::empty();
                for cert in certs(pem, "client CA certificate")? {
                    roots.add(cert)?;
                }
                let verifier =
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider());
                let verifier = if self.require_client_cert {
                    verifier
                } else {
                    verifier.allow_unauthenticated()
                };
                let verifier = verifier
                    .build()
                    .map_err(|e| TlsError::Verifier(e.to_string()))?;
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let (chain, key) = self.identity.load()?;
        Ok(Arc::new(builder.with_single_cert(chain, key)?))
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn certs(pem: &[u8], what: &'static str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Pem {
            what,
            detail: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::Pem {
            what,
            detail: "no CERTIFICATE block found".into(),
        });
    }
    Ok(certs)
}
