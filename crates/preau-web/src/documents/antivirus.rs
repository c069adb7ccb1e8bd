//! The optional antivirus: every upload is streamed to ClamAV's daemon (`clamd`, its
//! `INSTREAM` command: chunks prefixed by their length, then an empty one) as it is stored, and
//! kept only if clamd says it is clean. An infected file is refused and logged; when clamd
//! cannot answer (down, or the file past its `StreamMaxLength`), the upload is refused too:
//! nothing unscanned is kept once scanning is configured.

use axum::body::Bytes;
use preau_core::{Error, Result};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The longest clamd may take to answer one step (connect, take a chunk, give its verdict):
/// past it, the upload is refused as if clamd were down.
const PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);

/// Runs one step with clamd within [`PATIENCE`].
async fn within<T>(step: impl std::future::Future<Output = std::io::Result<T>>) -> Result<T> {
    match tokio::time::timeout(PATIENCE, step).await {
        Ok(r) => r.map_err(unavailable),
        Err(_) => Err(unavailable(std::io::Error::new(std::io::ErrorKind::TimedOut, "clamd did not answer in time"))),
    }
}

/// Where clamd listens: `unix:/run/clamav/clamd.ctl` or `host:port`.
#[derive(Debug, Clone)]
pub struct Clamd {
    pub address: String,
}

/// What clamd said of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Clean,
    /// The name of what was found.
    Infected(String),
}

trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// One file being scanned.
pub struct Scan {
    conn: Box<dyn Stream>,
}

impl Clamd {
    /// Opens a scan: the file's bytes are then sent with [`Scan::send`].
    pub async fn start(&self) -> Result<Scan> {
        let mut conn: Box<dyn Stream> = match self.address.strip_prefix("unix:") {
            Some(path) => Box::new(within(tokio::net::UnixStream::connect(path)).await?),
            None => Box::new(within(tokio::net::TcpStream::connect(&self.address)).await?),
        };
        within(conn.write_all(b"zINSTREAM\0")).await?;
        Ok(Scan { conn })
    }
}

fn unavailable(e: std::io::Error) -> Error {
    tracing::error!(error = %e, "the antivirus (clamd) cannot be reached: uploads are refused");
    Error::invalid("file", "document.scan_failed")
}

impl Scan {
    pub async fn send(&mut self, chunk: &Bytes) -> Result<()> {
        // clamd takes chunks of at most 4 GiB each; a request's chunks are far smaller.
        for part in chunk.chunks(1 << 30) {
            within(self.conn.write_all(&(part.len() as u32).to_be_bytes())).await?;
            within(self.conn.write_all(part)).await?;
        }
        Ok(())
    }

    /// Ends the file and reads clamd's verdict.
    pub async fn verdict(mut self) -> Result<Verdict> {
        within(self.conn.write_all(&[0, 0, 0, 0])).await?;
        // A verdict is one short line: no more is read.
        let mut reply = Vec::new();
        within((&mut self.conn).take(4096).read_to_end(&mut reply)).await?;
        parse(&String::from_utf8_lossy(&reply))
    }
}

/// `stream: OK`, `stream: Eicar-Signature FOUND`, or an error (`INSTREAM size limit exceeded. ERROR`).
fn parse(reply: &str) -> Result<Verdict> {
    let reply = reply.trim_end_matches(['\0', '\n']).trim();
    let answer = reply.strip_prefix("stream:").map(str::trim).unwrap_or(reply);
    if answer == "OK" {
        return Ok(Verdict::Clean);
    }
    if let Some(name) = answer.strip_suffix(" FOUND") {
        return Ok(Verdict::Infected(name.trim().to_owned()));
    }
    tracing::error!(reply, "the antivirus (clamd) could not scan an upload: refused");
    Err(Error::invalid("file", "document.scan_failed"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamd_replies_are_read() {
        assert_eq!(parse("stream: OK\0").ok(), Some(Verdict::Clean));
        assert_eq!(parse("stream: Eicar-Test-Signature FOUND\0").ok(), Some(Verdict::Infected("Eicar-Test-Signature".into())));
        assert!(parse("INSTREAM size limit exceeded. ERROR\0").is_err());
    }
}
