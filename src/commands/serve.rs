//! `vftop serve`: the Prometheus exporter, sampling on its interval, not per scrape.

use super::stop_signal;
use anyhow::Context;
use std::process::ExitCode;
use std::sync::Arc;
use vftop::cli::{ConfigArg, SourceArgs};
use vftop::export::web_config::{Users, WebConfig};
use vftop::sampler::Sampler;
use vftop::source::{Source, SystemClock};

/// What `vftop serve` was asked.
pub struct ServeRequest<'a> {
    pub listen: std::net::SocketAddr,
    pub ethtool_stats: bool,
    pub web_config: Option<&'a std::path::Path>,
    pub source: &'a SourceArgs,
    pub config: &'a ConfigArg,
    pub interval: std::time::Duration,
}

pub fn run(req: ServeRequest) -> anyhow::Result<ExitCode> {
    let settings = vftop::config::load(req.config.config.as_deref()).map_err(anyhow::Error::msg)?;
    let web = match req.web_config {
        Some(path) => WebConfig::load(path).map_err(anyhow::Error::msg)?,
        None => WebConfig::default(),
    };
    let mut source = super::open_source(req.source, &settings.owners, Arc::new(SystemClock::default()))?;
    super::check_interfaces(req.source, source.as_mut())?;
    let roles = super::roles(source.as_ref(), settings.roles);
    let intent = vftop::intent::with_cni(settings.intent, &settings.intent_prefs);
    let exporter = vftop::export::Exporter::new(roles, req.ethtool_stats).with_intent(intent);
    serve_on(source, req.interval, req.listen, exporter, web)
}

/// `vftop serve`: samples on the interval into the exporter; axum serves the latest
/// exposition (over TLS and behind basic auth where the web config says) until SIGTERM or
/// SIGINT.
fn serve_on(
    source: Box<dyn Source>,
    interval: std::time::Duration,
    listen: std::net::SocketAddr,
    mut exporter: vftop::export::Exporter,
    web: WebConfig,
) -> anyhow::Result<ExitCode> {
    use vftop::export::http::{Published, router};
    use vftop::protocol::SourceEvent;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async move {
        let listener =
            std::net::TcpListener::bind(listen).with_context(|| format!("cannot listen on {listen}"))?;
        listener.set_nonblocking(true)?;
        let tls = match &web.tls_server_config {
            Some(t) => Some(
                axum_server::tls_rustls::RustlsConfig::from_pem_file(&t.cert_file, &t.key_file)
                    .await
                    .with_context(|| {
                        format!("TLS certificate {} / key {}", t.cert_file.display(), t.key_file.display())
                    })?,
            ),
            None => None,
        };
        let is_kernel = source.kind() == vftop::source::SourceKind::Kernel;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let sampler = Sampler::start(source, interval, tx);
        if is_kernel {
            vftop::sampler::follow_link_changes(sampler.commander());
        }
        let published = Published::default();
        let sink = published.clone();
        tokio::spawn(async move {
            while let Some(event) = rx.recv().await {
                match event {
                    SourceEvent::Snapshot(s) => sink.set(exporter.update(s)),
                    SourceEvent::SampleFailed(e) => {
                        tracing::warn!("sample failed: {e}");
                        exporter.sample_failed();
                    }
                    SourceEvent::Applied(..)
                    | SourceEvent::Replay(..)
                    | SourceEvent::Notice(_)
                    | SourceEvent::Past(_) => {}
                }
            }
        });
        let app = router(published, Users::new(web.basic_auth_users.clone()));
        let scheme = if tls.is_some() { "https" } else { "http" };
        eprintln!("vftop: serving metrics on {scheme}://{listen}/metrics");
        match tls {
            Some(config) => {
                let handle = axum_server::Handle::new();
                let stopper = handle.clone();
                tokio::spawn(async move {
                    stop_signal().await;
                    stopper.graceful_shutdown(Some(std::time::Duration::from_secs(2)));
                });
                axum_server::from_tcp_rustls(listener, config)?
                    .handle(handle)
                    .serve(app.into_make_service())
                    .await?;
            }
            None => {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                axum::serve(listener, app).with_graceful_shutdown(stop_signal()).await?;
            }
        }
        drop(sampler);
        Ok(ExitCode::SUCCESS)
    })
}
