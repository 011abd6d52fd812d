//! End-to-end benches: `submit_sm` -> `submit_sm_resp` over loopback TCP (127.0.0.1), our ESME
//! against our SMSC side side by side with smpp34's client against smpp34's server.
//!
//! Groups, each with the functions `ours` and `smpp34`:
//! - `e2e/1bind_w64`: one transceiver bind, 64 submits in flight.
//! - `e2e/4binds_w64`: four transceiver binds in parallel, 64 submits in flight on each.
//!
//! Run: `cargo bench -p smpp-benches --bench e2e` (add `-- 4binds` to filter).
//!
//! What is timed: one iteration is a batch of [`PER_BIND`] submits on every bind (so 2000 or
//! 8000 messages; criterion's `Throughput::Elements` turns that into messages per second). For
//! each bind, [`WINDOW`] tasks are spawned, each sending a submit and awaiting its response in a
//! loop until the bind's share is claimed from a counter, so exactly 64 requests are in flight
//! per bind (the same driver for both libraries; it is smpp34's own `perf_loopback` example's
//! loop). The timing covers spawning those tasks, building each `submit_sm` (same addresses and
//! text for both), sending, the SMSC side decoding it and answering `message_id` "1", and the
//! response reaching the awaiting task, until every task has finished.
//!
//! Not timed: one multi-threaded tokio runtime with 2 worker threads, made once; the servers and
//! binds, set up once per benchmark function and torn down after it. Both SMSC sides answer each
//! submit at once: ours in a task per session looping on `SmscSession::recv`, smpp34 in its
//! `SmppServerListener::on_submit_sm` callback (smpp34 spawns a task per request itself).
//!
//! smpp34's client takes a `window_size` but does not enforce it (it is only logged): any number
//! of `SMSC::submit_sm().send()` calls may be awaited concurrently, each holding its own
//! oneshot. Its idiomatic concurrency is therefore the caller's tasks, as here. Ours enforces the
//! window itself (`SessionConfig::window` = 64); the 64 tasks keep it full without waiting on it.

use std::net::{IpAddr, Ipv4Addr};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_main};
use smpp_codec::{Body, ShortMessage, SubmitSm, SubmitSmResp};
use smpp34::client::{BIND_TYPE, SMSC, SmppClient, SmppClientListener};
use smpp34::{
    SmppConnectionInformation, SmppServer, SmppServerListener, bind_transceiver,
    bind_transceiver_resp, submit_sm, submit_sm_resp,
};
use smsc_client::esme::{EsmeClient, EsmeConfig, Handle};
use smsc_client::session::{BindKind, Password};
use smsc_client::smsc::{BindGrant, SmscConfig, SmscServer, StaticAuthenticator};
use tokio::runtime::Runtime;
use tokio::sync::{Mutex, oneshot};

/// Submits in flight per bind.
const WINDOW: usize = 64;
/// Submits per bind in one timed batch.
const PER_BIND: usize = 2000;
const SOURCE: &str = "12345";
const DESTINATION: &str = "447700900000";
const TEXT: &str = "perf test message";

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The tokio runtime every bench runs on: 2 workers.
fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Runs `iters` batches, each of [`PER_BIND`] calls of `send` per bind with [`WINDOW`] in flight
/// per bind, and returns the total time. `send` is each library's submit-and-await.
fn run_batches<C, F, Fut>(rt: &Runtime, binds: &[C], iters: u64, send: F) -> Duration
where
    C: Clone + Send + 'static,
    F: Fn(C) -> Fut + Copy + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    rt.block_on(async {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            let start = Instant::now();
            let mut tasks = Vec::with_capacity(binds.len() * WINDOW);
            for bind in binds {
                let left = Arc::new(AtomicUsize::new(PER_BIND));
                for _ in 0..WINDOW {
                    let bind = bind.clone();
                    let left = left.clone();
                    tasks.push(tokio::spawn(async move {
                        while left
                            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                                n.checked_sub(1)
                            })
                            .is_ok()
                        {
                            send(bind.clone()).await;
                        }
                    }));
                }
            }
            for task in tasks {
                task.await.unwrap();
            }
            total += start.elapsed();
        }
        total
    })
}

// ---------------------------------------------------------------------------------------------
// Ours

/// Our SMSC side answering every submit at once, and `binds` ESME binds to it.
struct Ours {
    handles: Vec<Handle>,
    _server: tokio::task::JoinHandle<()>,
}

impl Ours {
    async fn start(binds: usize) -> Ours {
        let auth = StaticAuthenticator::new().with_account(
            "bench",
            Password::try_from("secret").unwrap(),
            BindGrant::default(),
        );
        let mut server = SmscServer::bind("127.0.0.1:0", auth, SmscConfig::default())
            .await
            .unwrap();
        let url = format!("smpp://{}", server.local_addr());
        let accept = tokio::spawn(async move {
            while let Some(mut session) = server.accept().await {
                tokio::spawn(async move {
                    while let Some(req) = session.recv().await {
                        let (pdu, responder) = req.into_parts();
                        if let (Body::SubmitSm(_), Some(responder)) = (pdu.body, responder) {
                            let resp = SubmitSmResp {
                                message_id: "1".try_into().unwrap(),
                                ..SubmitSmResp::default()
                            };
                            let _ = responder.respond(Body::SubmitSmResp(resp));
                        }
                    }
                });
            }
        });
        let mut handles = Vec::with_capacity(binds);
        for _ in 0..binds {
            let mut config = EsmeConfig::new(&url, "bench", "secret").unwrap();
            config.bind_kind = BindKind::Transceiver;
            config.session.window = WINDOW;
            let (handle, _inbound) = EsmeClient::connect(config).await.unwrap();
            handles.push(handle);
        }
        Ours {
            handles,
            _server: accept,
        }
    }

    async fn stop(self) {
        for handle in &self.handles {
            handle.unbind().await.unwrap();
        }
        self._server.abort();
    }
}

async fn ours_submit(handle: Handle) {
    let sm = SubmitSm {
        source_addr: SOURCE.try_into().unwrap(),
        destination_addr: DESTINATION.try_into().unwrap(),
        short_message: ShortMessage::new(TEXT).unwrap(),
        ..SubmitSm::default()
    };
    // A refusal (error status) is an `Err`.
    handle.submit_sm(sm).await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// smpp34
//
// Its listener traits are `#[async_trait]` traits; the impls below are written in the form that
// macro expands to, so the bench needs no `async-trait` dependency of its own.

/// smpp34's server listener: accepts every transceiver bind, answers every submit with "1".
struct Smpp34Smsc;

impl SmppServerListener for Smpp34Smsc {
    fn on_bind_transceiver<'s, 'c, 'i, 'a>(
        &'s self,
        req: bind_transceiver,
        _connection: &'c SmppConnectionInformation,
        _session_id: &'i String,
    ) -> BoxFuture<'a, bind_transceiver_resp>
    where
        's: 'a,
        'c: 'a,
        'i: 'a,
        Self: 'a,
    {
        Box::pin(async move { req.accept("smpp34".to_string(), Some(0x34)) })
    }

    fn on_submit_sm<'s, 'c, 'i, 'a>(
        &'s self,
        req: submit_sm,
        _connection: &'c SmppConnectionInformation,
        _session_id: &'i String,
    ) -> BoxFuture<'a, submit_sm_resp>
    where
        's: 'a,
        'c: 'a,
        'i: 'a,
        Self: 'a,
    {
        Box::pin(async move { req.accept("1".to_string()) })
    }
}

/// smpp34's client listener: hands over the `SMSC` (the send side) once bound.
struct Smpp34Binder {
    bound: Mutex<Option<oneshot::Sender<SMSC>>>,
}

impl SmppClientListener for Smpp34Binder {
    fn on_smsc_bound<'s, 'i, 'a>(&'s self, smsc: SMSC, _session_id: &'i String) -> BoxFuture<'a, ()>
    where
        's: 'a,
        'i: 'a,
        Self: 'a,
    {
        Box::pin(async move {
            if let Some(tx) = self.bound.lock().await.take() {
                let _ = tx.send(smsc);
            }
        })
    }
}

/// smpp34's server and `binds` smpp34 clients bound to it.
struct Theirs {
    smscs: Vec<Arc<SMSC>>,
    clients: Vec<SmppClient>,
    server: SmppServer,
}

impl Theirs {
    async fn start(binds: usize) -> Theirs {
        // smpp34's server takes a port, not a listener: find a free one.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server =
            SmppServer::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port, Arc::new(Smpp34Smsc));
        server.start().await;
        let mut smscs = Vec::with_capacity(binds);
        let mut clients = Vec::with_capacity(binds);
        for _ in 0..binds {
            let (tx, rx) = oneshot::channel();
            let binder = Arc::new(Smpp34Binder {
                bound: Mutex::new(Some(tx)),
            });
            let mut client = SmppClient::new(
                "127.0.0.1".to_string(),
                port,
                false,
                BIND_TYPE::TRX,
                "bench".to_string(),
                "secret".to_string(),
                String::new(),
                1,
                1,
                String::new(),
                binder,
                WINDOW,
            );
            client.start().await;
            let smsc = tokio::time::timeout(Duration::from_secs(10), rx)
                .await
                .expect("smpp34 bind timed out")
                .expect("smpp34 bind failed");
            smscs.push(Arc::new(smsc));
            clients.push(client);
        }
        Theirs {
            smscs,
            clients,
            server,
        }
    }

    async fn stop(mut self) {
        for smsc in &self.smscs {
            let _ = smsc.send_unbind().await;
        }
        for client in &mut self.clients {
            client.stop().await;
        }
        self.server.stop().await;
    }
}

async fn smpp34_submit(smsc: Arc<SMSC>) {
    let resp = smsc
        .submit_sm()
        .source_addr(SOURCE)
        .destination_addr(DESTINATION)
        .short_message(TEXT.as_bytes())
        .send()
        .await
        .unwrap();
    // smpp34 returns an error status as an `Ok` response.
    assert!(resp.is_success());
}

// ---------------------------------------------------------------------------------------------

fn group(c: &mut Criterion, rt: &Runtime, name: &str, binds: usize) {
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements((binds * PER_BIND) as u64));

    let ours = rt.block_on(Ours::start(binds));
    group.bench_function("ours", |b| {
        b.iter_custom(|iters| run_batches(rt, &ours.handles, iters, ours_submit))
    });
    rt.block_on(ours.stop());

    let theirs = rt.block_on(Theirs::start(binds));
    group.bench_function("smpp34", |b| {
        b.iter_custom(|iters| run_batches(rt, &theirs.smscs, iters, smpp34_submit))
    });
    rt.block_on(theirs.stop());

    group.finish();
}

fn e2e(c: &mut Criterion) {
    let rt = runtime();
    group(c, &rt, "e2e/1bind_w64", 1);
    group(c, &rt, "e2e/4binds_w64", 4);
}

/// `criterion_group!` makes a `pub fn`; kept in a private module so it needs no doc.
mod groups {
    criterion::criterion_group!(benches, super::e2e);
}
criterion_main!(groups::benches);
