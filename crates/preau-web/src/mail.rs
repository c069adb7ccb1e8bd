//! Outgoing mail: SMTP through lettre, or an outbox folder of `.eml` files when no SMTP server
//! is configured (the demo default, and handy to read in development).

use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use preau_core::{Error, Result};
use preau_identity::mail::{Mail, Mailer};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;

pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: String,
}

impl SmtpMailer {
    /// `host:port` of a plain SMTP relay (a local MTA), or an `smtps://`/`smtp://` URL that lettre understands.
    pub fn new(server: &str, from: &str) -> Result<Self> {
        let transport = if server.contains("://") {
            AsyncSmtpTransport::<Tokio1Executor>::from_url(server).map_err(Error::internal)?.build()
        } else {
            let (host, port) = server.rsplit_once(':').unwrap_or((server, "25"));
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host).port(port.parse().unwrap_or(25)).build()
        };
        Ok(Self { transport, from: from.to_owned() })
    }
}

fn build(from: &str, mail: &Mail) -> Result<Message> {
    Message::builder()
        .from(from.parse().map_err(Error::internal)?)
        .to(mail.to.parse().map_err(|_| Error::invalid("email", "email.format"))?)
        .subject(mail.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body.clone())
        .map_err(Error::internal)
}

impl Mailer for SmtpMailer {
    fn send(&self, mail: Mail) -> Pin<Box<dyn Future<Output = Result<()>> + Send + '_>> {
        Box::pin(async move {
            let message = build(&self.from, &mail)?;
            self.transport.send(message).await.map_err(Error::internal)?;
            Ok(())
        })
    }
}

pub struct OutboxMailer {
    pub dir: PathBuf,
    pub from: String,
}

impl Mailer for OutboxMailer {
    fn send(&self, mail: Mail) -> Pin<Box<dyn Future<Output = Result<()>> + Send + '_>> {
        Box::pin(async move {
            let message = build(&self.from, &mail)?;
            tokio::fs::create_dir_all(&self.dir).await.map_err(Error::internal)?;
            let name = format!("{}.eml", uuid::Uuid::now_v7());
            tokio::fs::write(self.dir.join(name), message.formatted()).await.map_err(Error::internal)?;
            Ok(())
        })
    }
}
