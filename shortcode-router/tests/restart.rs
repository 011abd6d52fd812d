//! The router killed mid-stream (dropped without any shutdown) and started again on the same
//! SQLite file: every MO the simulator got an acknowledgement for reaches the handler.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::*;
use smsc_client::sim::SimConfig;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_and_restarted_mid_stream_loses_nothing() {
    within(90, async {
        let Setup {
            dir,
            sim,
            handler: haddr,
            h,
        } = Setup::new(SimConfig::default()).await;
        let sim = Arc::new(sim);
        let text = config_text(sim.local_addr(), haddr, &dir.path().join("r.db"), "");
        let router = start_router(&text).await;

        let n = 150usize;
        let done = Arc::new(AtomicUsize::new(0));
        // The injector holds its last half until the kill, so the kill always lands mid-stream
        // (MOs are still in flight when it comes, and more follow it).
        let (killed_tx, killed_rx) = tokio::sync::oneshot::channel::<()>();
        let injector = {
            let sim = sim.clone();
            let done = done.clone();
            tokio::spawn(async move {
                let mut tries = HashMap::new();
                let mut killed = Some(killed_rx);
                for i in 0..n {
                    if i == n / 2 {
                        let _ = killed.take().unwrap().await;
                    }
                    let body = format!("JOIN {i}");
                    let t = inject(&sim, &body, &format!("4477009{i:05}")).await;
                    tries.insert(body, t);
                    done.fetch_add(1, Ordering::SeqCst);
                }
                tries
            })
        };
        eventually(20, "first MOs in", || done.load(Ordering::SeqCst) >= 40).await;
        let binds_before = sim.counters().binds;
        // Killed: no unbind, no draining; tasks and in-flight requests are dropped.
        drop(router);
        let _ = killed_tx.send(());
        tokio::time::sleep(Duration::from_millis(200)).await;
        let router = start_router(&text).await;
        let tries = tokio::time::timeout(Duration::from_secs(40), injector)
            .await
            .unwrap()
            .unwrap();
        // The second half went to the restarted router's bind. (Injections that met no bind
        // waited for one or were sent again: `tries` counts the sends.)
        assert!(
            sim.counters().binds > binds_before,
            "the restarted router never bound"
        );
        eventually(30, "every MO delivered", || {
            let mut texts: Vec<String> = h
                .accepted()
                .iter()
                .map(|r| r.payload["text"].as_str().unwrap_or("").to_owned())
                .collect();
            texts.sort();
            texts.dedup();
            texts.len() == n
        })
        .await;
        // A text delivered under two webhook ids must have been sent twice by the SMSC (its
        // acknowledgement was lost in the kill); a repeated delivery of one stored MO keeps its
        // webhook id.
        let mut ids_by_text: HashMap<String, Vec<String>> = HashMap::new();
        for r in h.accepted() {
            ids_by_text
                .entry(r.payload["text"].as_str().unwrap().to_owned())
                .or_default()
                .push(r.id.clone());
        }
        for (text, mut ids) in ids_by_text {
            ids.sort();
            ids.dedup();
            assert!(
                ids.len() == 1 || tries[&text] > 1,
                "{text} delivered under {ids:?} but injected once"
            );
        }
        let st = router.store().stats().await.unwrap();
        assert!(st.mos >= n as u64, "{st:?}");
        eventually_async(10, "no webhook left pending", || async {
            router.store().stats().await.unwrap().webhooks_pending == 0
        })
        .await;
        drop(router);
    })
    .await;
}
