//! Operations endpoints: `/metrics` (Prometheus text from `metrics-exporter-prometheus`),
//! `/healthz` (the process answers) and `/readyz` (the store answers and every configured
//! carrier has at least one bind up).

use std::sync::OnceLock;

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde_json::json;

use crate::api::AppState;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's Prometheus recorder, installed on first use. When another recorder was
/// installed first, a detached one is returned (its output is then empty).
pub fn prometheus() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed: /metrics will be empty");
        }
        let upkeep = handle.clone();
        std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(std::time::Duration::from_secs(5));
                    upkeep.run_upkeep();
                }
            })
            .ok();
        handle
    })
}

/// `GET /metrics`.
pub async fn metrics(State(s): State<AppState>) -> Response {
    for c in s.mt.carriers() {
        metrics::gauge!("router_carrier_binds_up", "carrier" => c.name().to_owned())
            .set(c.binds_up() as f64);
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        prometheus().render(),
    )
        .into_response()
}

/// `GET /healthz`.
pub async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// `GET /readyz`: 200 when ready, else 503 with what is missing.
pub async fn readyz(State(s): State<AppState>) -> Response {
    let store = s.mt.store().ping().await;
    let carriers = s.mt.carriers();
    let mut binds = serde_json::Map::new();
    let mut all_up = true;
    for name in s.carriers.iter() {
        let up = carriers
            .iter()
            .find(|c| c.name() == name)
            .map_or(0, |c| c.binds_up());
        all_up &= up >= 1;
        binds.insert(name.clone(), json!(up));
    }
    let ready = store && all_up;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(json!({"ready": ready, "store": store, "binds_up": binds})),
    )
        .into_response()
}
