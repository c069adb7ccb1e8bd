//! The outbox: what a sent message still has to do once it is stored — its recipients'
//! inboxes, feeds, live pages and e-mails. A send answers as soon as the message is committed
//! with the recipients its audiences expanded into; the outbox's worker then writes their
//! deliveries, each keeping the message's notification for its recipient, several messages at
//! a time (one read of preferences and quiet hours, one transaction), and pushes live to the
//! open pages once that is committed.
//!
//! Nothing is lost on a crash: the recipients stay recorded on the message until the
//! transaction that writes their deliveries clears them; the worker picks up, when it starts,
//! what a stopped server left. Senders wait (back-pressure) only when more than
//! [`MAX_QUEUED`] recipients are already waiting.

use crate::messages::{Copy, Message};
use crate::notifications::Kind;
use crate::{Communication, CommunicationStore};
use preau_core::{MessageId, PersonId};
use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

/// How many times a batch is tried before it is left to the next start.
pub const ATTEMPTS: u32 = 6;
/// Recipients waiting in the outbox before senders wait too.
pub const MAX_QUEUED: usize = 50_000;
/// The worker takes publications together up to this many recipients (at least one
/// publication): short turns at the database, which senders may take in between (on SQLite
/// the outbox writes only while no sender waits for the writer).
const BATCH_PEOPLE: usize = 300;

/// One event for many people (a message to its recipients, a news item to its readers).
#[derive(Debug)]
pub struct Publication {
    /// The message it tells of, with its recipients: their deliveries are written with the
    /// notifications.
    pub message: Option<(MessageId, Vec<(PersonId, Copy)>)>,
    pub people: Vec<PersonId>,
    pub kind: Kind,
    pub at: i64,
    pub title: String,
    pub link: String,
}

impl Publication {
    /// A sent message, to its recipients: "Sender : subject", when they see it.
    pub fn of_message(m: &Message, recipients: Vec<(PersonId, Copy)>) -> Publication {
        Publication {
            people: recipients.iter().map(|(p, _)| *p).collect(),
            message: Some((m.id, recipients)),
            kind: Kind::of_message(m.acknowledge),
            at: m.deliver_at.unwrap_or(m.created_at),
            title: crate::notifications::message_title(&m.sender_name, &m.subject),
            link: crate::notifications::message_link(m.id),
        }
    }
}

/// Publications waiting for the worker.
pub struct Outbox {
    queue: Mutex<VecDeque<(Publication, OwnedSemaphorePermit)>>,
    room: std::sync::Arc<Semaphore>,
    /// Queued or being handled.
    pending: AtomicUsize,
    wake: Notify,
    settled: Notify,
}

impl Default for Outbox {
    fn default() -> Self {
        Outbox {
            queue: Mutex::default(),
            room: std::sync::Arc::new(Semaphore::new(MAX_QUEUED)),
            pending: AtomicUsize::new(0),
            wake: Notify::new(),
            settled: Notify::new(),
        }
    }
}

impl Outbox {
    /// Queues a publication, waiting while the outbox is full.
    pub async fn publish(&self, p: Publication) {
        let n = p.people.len().clamp(1, MAX_QUEUED) as u32;
        // The semaphore is never closed.
        let Ok(permit) = self.room.clone().acquire_many_owned(n).await else { return };
        self.pending.fetch_add(1, Ordering::SeqCst);
        self.queue.lock().unwrap_or_else(|e| e.into_inner()).push_back((p, permit));
        self.wake.notify_one();
    }

    /// Waits until everything published so far has been handled.
    pub async fn settle(&self) {
        loop {
            let settled = self.settled.notified();
            tokio::pin!(settled);
            settled.as_mut().enable();
            if self.pending.load(Ordering::SeqCst) == 0 {
                return;
            }
            settled.await;
        }
    }

    /// Waits for publications and takes them up to [`BATCH_PEOPLE`] recipients.
    async fn take(&self) -> Vec<(Publication, OwnedSemaphorePermit)> {
        loop {
            {
                let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
                if !q.is_empty() {
                    // Those whose first recipient comes before the limit.
                    let mut before = 0;
                    let n = q
                        .iter()
                        .take_while(|(p, _)| {
                            let first = before;
                            before += p.people.len();
                            first < BATCH_PEOPLE
                        })
                        .count();
                    return q.drain(..n).collect();
                }
            }
            self.wake.notified().await;
        }
    }

    fn done(&self, n: usize) {
        if self.pending.fetch_sub(n, Ordering::SeqCst) == n {
            self.settled.notify_waiters();
        }
    }
}

impl<S: CommunicationStore> Communication<S> {
    /// Queues what a stopped server left: sent messages whose recipients were not told.
    /// Returns how many.
    pub async fn recover_outbox(&self) -> preau_core::Result<usize> {
        let left = self.store.unnotified_messages().await?;
        let n = left.len();
        for (m, people) in left {
            self.outbox.publish(Publication::of_message(&m, people)).await;
        }
        Ok(n)
    }

    /// The outbox's worker: handles publications as they come, one batch at a time. Runs until
    /// the process ends. A failed batch (the database away) is reported to `failed` and tried
    /// again after 1, 2, 4… seconds, up to [`ATTEMPTS`] times; past that it stays in the store
    /// and is recovered at the next start. Trying again is safe: deliveries already written
    /// are kept, and the notifications are written once, with the end of the message's fan-out.
    pub async fn run_outbox(&self, failed: impl Fn(preau_core::Error)) {
        loop {
            let (publications, room): (Vec<Publication>, Vec<OwnedSemaphorePermit>) = self.outbox.take().await.into_iter().unzip();
            for attempt in 0..ATTEMPTS {
                match self.notify_batch(&publications, &*self.live).await {
                    Ok(()) => break,
                    Err(e) => failed(e),
                }
                if attempt + 1 < ATTEMPTS {
                    tokio::time::sleep(std::time::Duration::from_secs(1 << attempt)).await;
                }
            }
            drop(room);
            self.outbox.done(publications.len());
        }
    }
}
