//! Live delivery to open pages over Server-Sent Events. Each page of a logged-in person holds
//! one `/events` stream; the hub keeps one broadcast channel per person with open pages, and a
//! notification pushed for that person goes to each of them. Nothing is kept for people
//! without an open page: their feed has it.

use crate::auth::Authed;
use crate::state::AppState;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use preau_communication::notifications::{LivePush, Notification};
use preau_core::PersonId;
use std::collections::HashMap;
use std::sync::Mutex;
use tokio::sync::broadcast;

/// Events a slow page may fall behind by before it skips some.
const BACKLOG: usize = 16;

/// The open pages, per person.
#[derive(Default)]
pub struct Hub {
    channels: Mutex<HashMap<PersonId, broadcast::Sender<String>>>,
}

impl Hub {
    pub fn subscribe(&self, person: PersonId) -> broadcast::Receiver<String> {
        let mut m = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        m.entry(person).or_insert_with(|| broadcast::channel(BACKLOG).0).subscribe()
    }
}

fn payload(n: &Notification) -> String {
    serde_json::json!({"kind": n.kind, "title": n.title, "link": n.link, "at": n.at}).to_string()
}

impl LivePush for Hub {
    fn push(&self, n: &Notification) {
        self.push_all(&[n.person], n);
    }

    /// One payload and one lock for a whole publication (a message to 2,000 people).
    fn push_all(&self, people: &[PersonId], n: &Notification) {
        let payload = payload(n);
        let mut m = self.channels.lock().unwrap_or_else(|e| e.into_inner());
        for person in people {
            if let Some(tx) = m.get(person)
                && tx.send(payload.clone()).is_err()
            {
                // Nobody listens any more.
                m.remove(person);
            }
        }
    }
}

/// `GET /events`: the caller's live notifications.
pub async fn events(State(state): State<AppState>, a: Authed) -> Response {
    let rx = state.hub.subscribe(a.session.person);
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(payload) => return Some((Ok::<_, std::convert::Infallible>(Event::default().event("notification").data(payload)), rx)),
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}
