//! The outgoing mail port. The web crate provides an SMTP implementation and an outbox-folder
//! implementation (the demo default, when no SMTP server is configured).

use preau_core::Result;
use std::future::Future;
use std::pin::Pin;

#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

pub trait Mailer: Send + Sync + 'static {
    fn send(&self, mail: Mail) -> Pin<Box<dyn Future<Output = Result<()>> + Send + '_>>;
}
