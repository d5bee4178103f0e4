//! The portal binary: reads the settings, wires the backends, serves pages and API, runs the dispatcher.

use std::time::Duration;

use server::settings::Settings;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Offline: needs no settings, no store, no network.
    if std::env::args().nth(1).as_deref() == Some("verify-evidence") {
        std::process::exit(verify_evidence(std::env::args().nth(2)));
    }
    // The settings first: they say how to log (an error loading them goes to stderr as it is).
    let settings = Settings::load()?;
    let traces = server::logging::init(settings.log_format, settings.otlp_traces_endpoint.as_deref())?;
    if std::env::args().nth(1).as_deref() == Some("verify-audit") {
        return verify_audit(settings).await;
    }
    let addr = settings.addr;
    let interval = Duration::from_millis(settings.dispatch_interval_ms.max(10));
    let sweep_interval = Duration::from_secs(settings.review_sweep_minutes.max(1) * 60);
    tracing::info!(mode = ?settings.mode, data_dir = %settings.data_dir.display(), "starting");
    let portal = server::build(settings).await?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let reconciler = portal.reconciler.map(|r| tokio::spawn(r.run(stopped.clone())));
    let state_changes = portal.state_change_queue.map(|c| tokio::spawn(c.run(stopped.clone())));
    let mailer = portal.mailer.map(|m| tokio::spawn(m.run(Duration::from_secs(30), stopped.clone())));
    let sweep = tokio::spawn(server::sweep::run(portal.state.service.clone(), sweep_interval, stopped.clone()));
    let memory = tokio::spawn(server::memory::give_back_freed_memory(stopped.clone()));
    let dispatcher = tokio::spawn(portal.dispatcher.run(interval, stopped));
    let app = server::routes::router(portal.state);
    let listener =
        tokio::net::TcpListener::bind(addr).await.map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    tracing::info!("listening on http://{addr}");
    // No Nagle delay: a response whose headers and body go out in two writes would otherwise wait ~40 ms for
    // the client's delayed ACK on a reused connection (seen on every static file).
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "TCP_NODELAY could not be set on an accepted connection");
        }
    });
    axum::serve(listener, app.into_make_service()).with_graceful_shutdown(shutdown_signal()).await?;
    let _ = stop.send(true);
    let _ = dispatcher.await;
    let _ = sweep.await;
    let _ = memory.await;
    for task in [reconciler, state_changes, mailer].into_iter().flatten() {
        let _ = task.await;
    }
    if let Some(traces) = traces {
        // The batch's last spans: sent on a thread of their own (the exporter blocks).
        let _ = tokio::task::spawn_blocking(move || traces.shutdown()).await;
    }
    Ok(())
}

/// Ctrl-C or SIGTERM (what `docker stop` and test runners send): stop accepting, finish what is in flight.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
    tracing::info!("shutting down");
}

/// `portal verify-audit`: walks the audit log's hash chain and says whether, and where, it breaks.
async fn verify_audit(settings: Settings) -> anyhow::Result<()> {
    let store = server::store::open(&settings, vec![]).await?;
    let verification = store.ports().ledger.verify_audit().await?;
    match verification.broken {
        None => {
            tracing::info!(entries = verification.entries, "audit hash chain verified");
            Ok(())
        }
        Some(broken) => anyhow::bail!("audit hash chain broken at entry {}: {}", broken.seq, broken.reason),
    }
}

/// `portal verify-evidence FILE`: checks a kept evidence pack (a dossier or its JSON) against the audit entries
/// it carries, from the file alone. Exit status 0 when it verifies, 1 when it does not, 2 when it cannot be read.
fn verify_evidence(path: Option<String>) -> i32 {
    let Some(path) = path else {
        eprintln!("usage: portal verify-evidence FILE   (a dossier .html or a pack .json exported by the portal)");
        return 2;
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("verify-evidence: cannot read {path}: {e}");
            return 2;
        }
    };
    match server::evidence_pack::verify_file(&text) {
        Ok(v) => {
            println!(
                "verified: the evidence pack of version {} ({} audit entries), exported by {} at {}",
                v.version, v.entries, v.exported_by, v.exported_at
            );
            println!(
                "anchor: export entry #{} with hash {}; the portal's audit log shows the same entry (`portal verify-audit`)",
                v.export_seq, v.export_hash
            );
            0
        }
        Err(e) => {
            println!("NOT VERIFIED: {e}");
            1
        }
    }
}
