//! State of the traces pane: the trace list for the service in scope and the open trace.
//! The list and the waterfall are filled by the traces source and on-demand loads.

/// The `:traces` pane.
#[derive(Debug, Clone, Default)]
pub struct TracesPane {
    /// The trace being opened or shown, by id.
    pub open_id: Option<String>,
    /// The service whose traces are listed (`None`: the scope's).
    pub service: Option<String>,
    /// Why the last load failed.
    pub error: Option<String>,
}
