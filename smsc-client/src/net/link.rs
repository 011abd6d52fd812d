//! `Link`: what a session handle holds to talk to its driver task: the command channel, the
//! window semaphore (a full window makes callers wait: backpressure, principle 6) and the
//! close signal. The typed handles (`esme::Handle`, `smsc::SmscHandle`) wrap it.

use std::sync::Arc;

use smpp_codec::{Body, Pdu};
use tokio::sync::{Semaphore, mpsc, oneshot, watch};

use super::driver::Command;
use super::error::RequestError;
use crate::session::CloseReason;

/// Sends `HandlesDropped` when the last clone of a handle goes away.
struct Alive(mpsc::UnboundedSender<Command>);

impl Drop for Alive {
    fn drop(&mut self) {
        let _ = self.0.send(Command::HandlesDropped);
    }
}

/// The shared part of every session handle. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Link {
    tx: mpsc::UnboundedSender<Command>,
    window: Arc<Semaphore>,
    closed: watch::Receiver<Option<CloseReason>>,
    _alive: Arc<Alive>,
}

impl Link {
    pub(crate) fn new(
        tx: mpsc::UnboundedSender<Command>,
        window: Arc<Semaphore>,
        closed: watch::Receiver<Option<CloseReason>>,
    ) -> Self {
        Link {
            _alive: Arc::new(Alive(tx.clone())),
            tx,
            window,
            closed,
        }
    }

    /// Sends a request that takes a window slot and awaits its response (any status).
    /// Waits for a slot while the window is full.
    pub(crate) async fn request(&self, body: Body) -> Result<Pdu, RequestError> {
        let permit = self
            .window
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| RequestError::Closed)?;
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Command::Request {
                body,
                reply,
                permit,
            })
            .map_err(|_| RequestError::Closed)?;
        rx.await.map_err(|_| RequestError::Closed)?
    }

    /// Sends a request without a response (`alert_notification`); resolves once queued.
    pub(crate) async fn send(&self, body: Body) -> Result<(), RequestError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Command::Send { body, reply })
            .map_err(|_| RequestError::Closed)?;
        rx.await.map_err(|_| RequestError::Closed)?
    }

    /// Unbinds and waits until the session is closed. Requests still in flight when the
    /// `unbind_resp` arrives fail with `Closed`.
    pub(crate) async fn unbind(&self) -> Result<(), RequestError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Command::Unbind { reply })
            .map_err(|_| RequestError::Closed)?;
        rx.await.map_err(|_| RequestError::Closed)?
    }

    /// Closes the connection at once, without `unbind`.
    pub(crate) fn close(&self) {
        let _ = self.tx.send(Command::Close);
    }

    /// Waits until the session is closed and says why.
    pub(crate) async fn closed(&self) -> CloseReason {
        let mut rx = self.closed.clone();
        let seen = match rx.wait_for(Option::is_some).await {
            Ok(r) => *r,
            Err(_) => None,
        };
        // `None`: the driver is gone without saying (its task ended abnormally).
        seen.or_else(|| *rx.borrow())
            .unwrap_or(CloseReason::Disconnected)
    }

    /// Why the session closed, `None` while it is open.
    pub(crate) fn close_reason(&self) -> Option<CloseReason> {
        *self.closed.borrow()
    }

    /// Window slots free now.
    pub(crate) fn window_available(&self) -> usize {
        self.window.available_permits()
    }
}
