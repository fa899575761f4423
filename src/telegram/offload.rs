//! Purpose: matching a question off the async runtime, so that however much one message costs
//! the matcher, the runtime thread keeps polling, sending and answering everyone else.

use std::sync::Arc;

use crate::reply::{Engine, LangHints, Reply};
use crate::Match;

use super::HandlerError;

/// [`Engine::ask`] on tokio's blocking pool. A panic in the matcher is resumed here, in the
/// handler, so that `handlers::guarded` answers with the apology as before.
pub(super) async fn ask(
    engine: &Arc<Engine>,
    text: &str,
    chosen: Option<String>,
    client: Option<String>,
) -> Result<(Reply, Match), HandlerError> {
    let (engine, text) = (Arc::clone(engine), text.to_string());
    let asked = tokio::task::spawn_blocking(move || {
        engine.ask(&text, LangHints { chosen: chosen.as_deref(), client: client.as_deref() })
    })
    .await;
    match asked {
        Ok(answer) => Ok(answer),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(Box::new(e)),
    }
}
