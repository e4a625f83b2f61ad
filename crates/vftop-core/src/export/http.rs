//! `vftop serve`: the HTTP side of the exporter (axum): `/metrics` with content negotiation,
//! `/` and `/healthz`. Read-only: no endpoint changes anything.

use super::web_config::{Users, require_auth};
use super::{Exposition, wants_openmetrics};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use std::sync::{Arc, RwLock};
use std::time::Instant;

/// What the server shows: the latest exposition (shared with the sampling task) and when it
/// was made.
#[derive(Clone, Default)]
pub struct Published(Arc<RwLock<Latest>>);

/// The latest exposition and when it was made.
type Latest = Option<(Arc<Exposition>, Instant)>;

impl Published {
    pub fn set(&self, exposition: Exposition) {
        if let Ok(mut slot) = self.0.write() {
            *slot = Some((Arc::new(exposition), Instant::now()));
        }
    }

    fn get(&self) -> Latest {
        self.0.read().ok()?.clone()
    }
}

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
const TEXT: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// The routes, on `published`, every one behind basic auth when `users` has any.
pub fn router(published: Published, users: Users) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/", get(index))
        .with_state(published)
        .layer(axum::middleware::from_fn_with_state(users, require_auth))
}

async fn metrics(State(published): State<Published>, headers: HeaderMap) -> Response {
    let Some((exposition, _)) = published.get() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "no sample taken yet\n").into_response();
    };
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let (body, content_type) = if wants_openmetrics(accept) {
        (exposition.openmetrics.clone(), OPENMETRICS)
    } else {
        (exposition.text.clone(), TEXT)
    };
    ([(header::CONTENT_TYPE, HeaderValue::from_static(content_type))], body).into_response()
}

async fn healthz(State(published): State<Published>) -> Response {
    match published.get() {
        Some((_, at)) => format!("ok: last sample {:.1}s ago\n", at.elapsed().as_secs_f64()).into_response(),
        None => (StatusCode::SERVICE_UNAVAILABLE, "no sample taken yet\n").into_response(),
    }
}

async fn index() -> Html<&'static str> {
    Html(concat!(
        "<!doctype html><html><head><title>vftop exporter</title></head><body>",
        "<h1>vftop exporter</h1><p>SR-IOV VF counters, rate limits and devlink rate objects.</p>",
        "<ul><li><a href=\"/metrics\">/metrics</a></li><li><a href=\"/healthz\">/healthz</a></li></ul>",
        "</body></html>\n"
    ))
}
