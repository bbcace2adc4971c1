//! The HTTP server: options, router, authentication extractor, error mapping, and the two
//! ways to run it (`serve` until a signal, `spawn_local` in-process for the sandbox and
//! tests).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use tokio::sync::oneshot;

use crate::model::platform::{self as api, Actor, AuditEvent, EventBody, SCHEMA};
use crate::platform::auth::{Identity, Tokens};
use crate::platform::checkpoint::{Checkpointing, DEFAULT_PLATFORM_NAME, Signer};
use crate::platform::error::PlatformError;
use crate::platform::fulfil::{Fulfiller, TopicCreator};
use crate::platform::policy::Policy;
use crate::platform::routes;
use crate::platform::store::{Store, StoreError, StoreUrl, now};
use crate::platform::{
    handlers_audit as audit, handlers_oncall as oncall, handlers_requests as requests,
};

/// A setting given either as a file to load or as a value built in memory (the sandbox).
#[derive(Debug, Clone)]
pub enum Source<T> {
    File(PathBuf),
    Value(T),
}

/// Everything `serve` needs.
#[derive(Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    pub store: StoreUrl,
    pub tokens: Source<Tokens>,
    pub policy: Source<Policy>,
    /// Command run (with `sh -c`) to fulfil `read_replica` requests; see [`crate::platform::fulfil`].
    pub provisioner: Option<String>,
    pub provision_timeout: Duration,
    /// Extra approver groups, on top of those in the policy file.
    pub approvers: Vec<String>,
    /// Fulfils `kafka_topic` requests; `None` leaves them approved ("no Kafka brokers").
    pub topic_creator: Option<Arc<dyn TopicCreator>>,
    /// HTTPS (see [`crate::platform::tls`]); `None` serves plain HTTP.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// The passphrase of a postgres:// store's encrypted `sslkey`.
    pub store_key_password: Option<String>,
    /// On-call shifts stored at start for each team that has no current or future shift
    /// (the sandbox's rota): fixture data, stored without audit events.
    pub oncall_seed: Vec<crate::model::oncall::Shift>,
    /// The Ed25519 key that signs checkpoints of the chain head; `None` signs none.
    pub checkpoint_key: Option<Source<Arc<Signer>>>,
    /// Sign a checkpoint this often when the head moved (and once at start); `None` signs
    /// on demand only (`POST /v1/audit/checkpoints`).
    pub checkpoint_interval: Option<Duration>,
    /// The platform's name in its checkpoints.
    pub platform_name: String,
}

impl std::fmt::Debug for ServeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeOptions")
            .field("listen", &self.listen)
            .field("store", &self.store.to_string())
            .field("provisioner", &self.provisioner)
            .field("approvers", &self.approvers)
            .field("topic_creator", &self.topic_creator.is_some())
            .field("tls", &self.tls.is_some())
            .field("checkpoint_key", &self.checkpoint_key.is_some())
            .field("checkpoint_interval", &self.checkpoint_interval)
            .field("platform_name", &self.platform_name)
            .finish_non_exhaustive()
    }
}

impl ServeOptions {
    /// Options with defaults for everything but the essentials.
    #[must_use]
    pub fn new(
        listen: SocketAddr,
        store: StoreUrl,
        tokens: Source<Tokens>,
        policy: Source<Policy>,
    ) -> Self {
        Self {
            listen,
            store,
            tokens,
            policy,
            provisioner: None,
            provision_timeout: Duration::from_mins(10),
            approvers: Vec::new(),
            topic_creator: None,
            tls: None,
            store_key_password: None,
            oncall_seed: Vec::new(),
            checkpoint_key: None,
            checkpoint_interval: None,
            platform_name: DEFAULT_PLATFORM_NAME.to_owned(),
        }
    }
}

/// Shared by every handler; cheap to clone.
#[derive(Clone)]
pub(crate) struct AppState {
    pub store: Store,
    pub tokens: Arc<Tokens>,
    pub policy: Arc<Policy>,
    pub fulfil: Fulfiller,
    pub checkpoints: Checkpointing,
}

impl AppState {
    async fn build(opts: ServeOptions) -> Result<Self, PlatformError> {
        if !crate::model::checkpoint::valid_platform_name(&opts.platform_name) {
            return Err(PlatformError::Invalid {
                what: "--platform-name",
                message: format!(
                    "{:?}: use 1 to 64 letters, digits, `.`, `_`, `:` or `-`",
                    opts.platform_name
                ),
            });
        }
        let signer = match opts.checkpoint_key {
            Some(Source::File(path)) => Some(Arc::new(Signer::load(&path)?)),
            Some(Source::Value(signer)) => Some(signer),
            None => None,
        };
        if let Some(signer) = &signer {
            tracing::info!(
                key_id = %signer.key_id(),
                public_key = %signer.public_key().to_base64(),
                platform = %opts.platform_name,
                "signing audit checkpoints"
            );
        }
        let tokens = match opts.tokens {
            Source::File(path) => Tokens::load(&path)?,
            Source::Value(t) => t,
        };
        if tokens.is_empty() {
            tracing::warn!("platform: no tokens configured; every call will be refused");
        }
        let mut policy = match opts.policy {
            Source::File(path) => Policy::load(&path)?,
            Source::Value(p) => p,
        };
        for group in opts.approvers {
            if !policy.approvers.contains(&group) {
                policy.approvers.push(group);
            }
        }
        let store = Store::open(&opts.store, opts.store_key_password.as_deref()).await?;
        Ok(Self {
            store,
            tokens: Arc::new(tokens),
            policy: Arc::new(policy),
            fulfil: Fulfiller {
                provisioner: opts.provisioner,
                timeout: opts.provision_timeout,
                topics: opts.topic_creator,
            },
            checkpoints: Checkpointing {
                signer,
                platform: opts.platform_name,
            },
        })
    }
}

/// The router; its routes are exactly [`routes::ROUTES`].
pub(crate) fn router(state: AppState) -> Router {
    use routes::{
        APPROVE_REQUEST, CREATE_REQUEST, GET_REQUEST, ME, POLICY_CHECK, POST_EVENT, POST_OUTCOME,
        REJECT_REQUEST, VERIFY,
    };
    Router::new()
        .route(ME.path, get(audit::me))
        .route(POLICY_CHECK.path, post(audit::policy_check))
        .route(
            POST_EVENT.path,
            post(audit::post_event).get(audit::list_events),
        )
        .route(POST_OUTCOME.path, post(audit::post_outcome))
        .route(VERIFY.path, get(audit::verify))
        .route(
            routes::LIST_CHECKPOINTS.path,
            get(audit::list_checkpoints).post(audit::sign_checkpoint),
        )
        .route(
            routes::LATEST_CHECKPOINT.path,
            get(audit::latest_checkpoint),
        )
        .route(routes::CHECKPOINT_KEYS.path, get(audit::checkpoint_keys))
        .route(
            CREATE_REQUEST.path,
            post(requests::create).get(requests::list),
        )
        .route(GET_REQUEST.path, get(requests::get))
        .route(APPROVE_REQUEST.path, post(requests::approve))
        .route(REJECT_REQUEST.path, post(requests::reject))
        .route(routes::ONCALL.path, get(oncall::list))
        .route(routes::TEAM_ONCALL.path, get(oncall::team))
        .route(routes::DECLARE_SHIFT.path, post(oncall::declare))
        .route(routes::REMOVE_SHIFT.path, delete(oncall::remove))
        .with_state(state)
}

/// A server running inside this process.
#[derive(Debug)]
pub struct LocalServer {
    addr: SocketAddr,
    https: bool,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    /// Signs checkpoints at the interval; aborted when the server stops.
    checkpointer: Option<tokio::task::JoinHandle<()>>,
}

impl LocalServer {
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Base URL for clients, e.g. `http://127.0.0.1:41234` (`https://` with TLS).
    #[must_use]
    pub fn url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Stops accepting, lets in-flight calls finish, and waits for the server to end.
    pub async fn shutdown(mut self) -> Result<(), PlatformError> {
        if let Some(task) = self.checkpointer.take() {
            task.abort();
        }
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.task.take() {
            Some(task) => match task.await {
                Ok(result) => result.map_err(PlatformError::Serve),
                Err(e) => Err(PlatformError::Serve(std::io::Error::other(e))),
            },
            None => Ok(()),
        }
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        if let Some(task) = self.checkpointer.take() {
            task.abort();
        }
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Starts the server on `opts.listen` (port 0 picks a free port) and returns at once.
pub async fn spawn_local(mut opts: ServeOptions) -> Result<LocalServer, PlatformError> {
    let listen = opts.listen;
    let store = opts.store.to_string();
    let tls = opts.tls.clone();
    let seed = std::mem::take(&mut opts.oncall_seed);
    let interval = opts.checkpoint_interval;
    let state = AppState::build(opts).await?;
    requests::recover_interrupted(&state).await;
    oncall::seed(&state, seed).await?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| PlatformError::Bind {
            addr: listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(PlatformError::Serve)?;
    let (tx, rx) = oneshot::channel::<()>();
    let checkpointer = match (interval, &state.checkpoints.signer) {
        (Some(every), Some(_)) => {
            Some(state.checkpoints.spawn_interval(state.store.clone(), every))
        }
        _ => None,
    };
    let app = router(state);
    let https = tls.is_some();
    let task = tokio::spawn(async move {
        match tls {
            Some(config) => crate::platform::tls::serve(listener, app, config, rx).await,
            None => {
                axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = rx.await;
                    })
                    .await
            }
        }
    });
    tracing::info!(%addr, %store, https, "platform server listening");
    Ok(LocalServer {
        addr,
        https,
        shutdown: Some(tx),
        task: Some(task),
        checkpointer,
    })
}

/// Runs the server until Ctrl-C or SIGTERM. Once it listens, `on_listen` gets its URL.
pub async fn serve(opts: ServeOptions, on_listen: impl FnOnce(&str)) -> Result<(), PlatformError> {
    let server = spawn_local(opts).await?;
    let stop = shutdown_signal();
    on_listen(&server.url());
    stop.await;
    tracing::info!("platform server stopping");
    server.shutdown().await
}

/// Registers for Ctrl-C and SIGTERM now, so a signal sent as soon as the server says it
/// listens is not lost; the returned future ends at the first of them.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate()).ok();
        let int = signal(SignalKind::interrupt()).ok();
        async move {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(term) => {}
                () = wait(int) => {}
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// An error answer: status plus `{"error": message}`.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let status = match &e {
            StoreError::NotFound(_) => StatusCode::NOT_FOUND,
            StoreError::Conflict(_) => StatusCode::CONFLICT,
            StoreError::Forbidden(_) => StatusCode::FORBIDDEN,
            StoreError::Invalid(_) => StatusCode::BAD_REQUEST,
            StoreError::Backend(detail) => {
                tracing::error!(error = %detail, "platform store failure");
                return Self::new(StatusCode::INTERNAL_SERVER_ERROR, "audit store unavailable");
            }
        };
        Self::new(status, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Json(api::ApiError {
            error: self.message,
        });
        if self.status == StatusCode::UNAUTHORIZED {
            (self.status, [(header::WWW_AUTHENTICATE, "Bearer")], body).into_response()
        } else {
            (self.status, body).into_response()
        }
    }
}

/// The authenticated caller. A missing or unknown token is recorded in the audit chain
/// before the 401, so probing leaves a trace.
pub(crate) struct Caller(pub Identity);

impl Caller {
    pub fn actor(&self) -> Actor {
        Actor {
            user: self.0.user.clone(),
            groups: self.0.groups.clone(),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        match state.tokens.authenticate(header) {
            Ok(identity) => Ok(Self(identity)),
            Err(failure) => {
                let path: String = parts.uri.path().chars().take(512).collect();
                let event = AuditEvent {
                    schema: SCHEMA.into(),
                    event_id: uuid::Uuid::now_v7().to_string(),
                    time: now(),
                    actor: None,
                    body: EventBody::AuthDenied {
                        method: parts.method.to_string(),
                        path,
                        reason: failure.reason.into(),
                        token_fingerprint: failure.fingerprint,
                    },
                };
                if let Err(e) = state.store.record(event).await {
                    tracing::error!(error = %e, "cannot record a denied call");
                }
                Err(ApiError::new(StatusCode::UNAUTHORIZED, failure.reason))
            }
        }
    }
}
