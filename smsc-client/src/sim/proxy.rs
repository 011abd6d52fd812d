//! A byte-level relay in front of the simulator's `SmscServer`, used only when the
//! malformed-PDU fault is on: the session layer writes only conformant PDUs (strict out), so
//! the relay slips raw octets in between the SMSC's PDUs. It terminates TLS itself when
//! configured; the server behind it listens on loopback in the clear.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::tls::TlsServerConfig;

/// One relayed connection, keyed by the relay's address towards the server (the `peer` the
/// server sees).
struct Conn {
    peer: SocketAddr,
    inject: mpsc::UnboundedSender<Bytes>,
}

type Conns = Arc<Mutex<HashMap<SocketAddr, Conn>>>;

/// The relay: its listener task and its connections.
pub(crate) struct Proxy {
    local_addr: SocketAddr,
    conns: Conns,
    task: JoinHandle<()>,
}

impl Proxy {
    /// Listens on `listen`, relaying to `server`.
    pub(crate) async fn start(
        listen: SocketAddr,
        server: SocketAddr,
        tls: Option<&TlsServerConfig>,
        handshake_timeout: Duration,
    ) -> Result<Proxy, super::SimError> {
        let acceptor = match tls {
            Some(t) => Some(tokio_rustls::TlsAcceptor::from(t.build()?)),
            None => None,
        };
        let listener = TcpListener::bind(listen).await?;
        let local_addr = listener.local_addr()?;
        let conns: Conns = Arc::default();
        let task = tokio::spawn(accept_loop(
            listener,
            server,
            acceptor,
            handshake_timeout,
            conns.clone(),
        ));
        Ok(Proxy {
            local_addr,
            conns,
            task,
        })
    }

    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The ESME's address behind the server-side address `inner`.
    pub(crate) fn real_peer(&self, inner: SocketAddr) -> Option<SocketAddr> {
        lock(&self.conns).get(&inner).map(|c| c.peer)
    }

    /// Writes `octets` to the ESME of `inner` between two PDUs; `false` if it is gone.
    pub(crate) fn inject(&self, inner: SocketAddr, octets: Bytes) -> bool {
        lock(&self.conns)
            .get(&inner)
            .is_some_and(|c| c.inject.send(octets).is_ok())
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(c: &Conns) -> std::sync::MutexGuard<'_, HashMap<SocketAddr, Conn>> {
    c.lock().unwrap_or_else(|e| e.into_inner())
}

async fn accept_loop(
    listener: TcpListener,
    server: SocketAddr,
    acceptor: Option<tokio_rustls::TlsAcceptor>,
    handshake_timeout: Duration,
    conns: Conns,
) {
    loop {
        let (client, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "sim relay: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = client.set_nodelay(true);
        let conns = conns.clone();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let inner = match TcpStream::connect(server).await {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, "sim relay: cannot reach the server");
                    return;
                }
            };
            let _ = inner.set_nodelay(true);
            let Ok(key) = inner.local_addr() else { return };
            let (tx, rx) = mpsc::unbounded_channel();
            lock(&conns).insert(key, Conn { peer, inject: tx });
            match acceptor {
                None => relay(client, inner, rx).await,
                Some(a) => match tokio::time::timeout(handshake_timeout, a.accept(client)).await {
                    Ok(Ok(tls)) => relay(tls, inner, rx).await,
                    Ok(Err(e)) => tracing::info!(error = %e, "sim relay: TLS handshake failed"),
                    Err(_) => tracing::info!("sim relay: TLS handshake timed out"),
                },
            }
            lock(&conns).remove(&key);
        });
    }
}

/// Copies both ways until either side closes; towards the ESME only whole PDUs are written, and
/// injected octets go in between them.
async fn relay<S>(client: S, inner: TcpStream, mut inject: mpsc::UnboundedReceiver<Bytes>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (mut cr, mut cw) = tokio::io::split(client);
    let (mut ir, mut iw) = inner.into_split();
    let up = async {
        let _ = tokio::io::copy(&mut cr, &mut iw).await;
        let _ = iw.shutdown().await;
    };
    let down = async {
        let mut buf = BytesMut::with_capacity(8192);
        loop {
            tokio::select! {
                Some(octets) = inject.recv() => {
                    if cw.write_all(&octets).await.is_err() {
                        break;
                    }
                }
                r = ir.read_buf(&mut buf) => {
                    match r {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {}
                    }
                    let end = whole_frames(&buf);
                    if end > 0 {
                        let chunk = buf.split_to(end);
                        if cw.write_all(&chunk).await.is_err() {
                            break;
                        }
                    }
                }
            }
        }
        let _ = cw.write_all(&buf).await;
        let _ = cw.shutdown().await;
    };
    tokio::select! {
        _ = up => {}
        _ = down => {}
    }
}

/// Octets of `buf` that make whole PDUs (everything when a length is broken: nothing to keep
/// in step with then).
fn whole_frames(buf: &[u8]) -> usize {
    let mut end = 0;
    while buf.len() - end >= 4 {
        let len = u32::from_be_bytes([buf[end], buf[end + 1], buf[end + 2], buf[end + 3]]) as usize;
        if len < 16 {
            return buf.len();
        }
        if buf.len() - end < len {
            break;
        }
        end += len;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::whole_frames;

    #[test]
    fn frames() {
        let mut b = vec![0, 0, 0, 16];
        b.extend([0; 12]);
        b.extend([0, 0, 0, 17, 1]);
        assert_eq!(whole_frames(&b), 16);
        assert_eq!(whole_frames(&[0, 0]), 0);
        assert_eq!(whole_frames(&[0, 0, 0, 3, 9]), 5);
    }
}
