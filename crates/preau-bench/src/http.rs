//! A minimal HTTP/1.1 keep-alive client over raw TCP: small enough to add almost no load of its
//! own, so that the server, not the load generator, is what is measured.

use anyhow::{Context, Result, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    addr: String,
}

pub struct Reply {
    pub status: u16,
    pub set_cookie: Option<String>,
    pub location: Option<String>,
}

impl Conn {
    pub async fn open(addr: &str) -> Result<Conn> {
        let stream = TcpStream::connect(addr).await.with_context(|| format!("connect {addr}"))?;
        stream.set_nodelay(true)?;
        Ok(Conn { stream, buf: Vec::with_capacity(64 * 1024), addr: addr.to_owned() })
    }

    pub async fn get(&mut self, path: &str, cookie: Option<&str>) -> Result<Reply> {
        let cookie = cookie.map(|c| format!("Cookie: {c}\r\n")).unwrap_or_default();
        let req = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n{cookie}\r\n", self.addr);
        self.round_trip(req.as_bytes()).await
    }

    /// A GET whose body is returned as text.
    pub async fn get_body(&mut self, path: &str) -> Result<String> {
        let req = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n\r\n", self.addr);
        self.round_trip(req.as_bytes()).await?;
        let start = find(&self.buf, b"\r\n\r\n").map(|i| i + 4).unwrap_or(0);
        Ok(String::from_utf8_lossy(&self.buf[start..]).into_owned())
    }

    /// The body of the last reply, as text.
    pub fn body(&self) -> String {
        let start = find(&self.buf, b"\r\n\r\n").map(|i| i + 4).unwrap_or(0);
        String::from_utf8_lossy(&self.buf[start..]).into_owned()
    }

    /// A JSON request with extra header lines (`Name: value\r\n` each).
    pub async fn send_json(&mut self, method: &str, path: &str, headers: &str, body: &str) -> Result<Reply> {
        let req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n{headers}Content-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        self.round_trip(req.as_bytes()).await
    }

    /// A form POST with extra header lines (`Name: value\r\n` each).
    pub async fn post_form_with(&mut self, path: &str, headers: &str, body: &str) -> Result<Reply> {
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\n{headers}Content-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        self.round_trip(req.as_bytes()).await
    }

    pub async fn post_form(&mut self, path: &str, body: &str) -> Result<Reply> {
        let req = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        self.round_trip(req.as_bytes()).await
    }

    async fn round_trip(&mut self, req: &[u8]) -> Result<Reply> {
        self.stream.write_all(req).await?;
        self.buf.clear();
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 16 * 1024];
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                bail!("connection closed");
            }
            self.buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        let status: u16 = head.get(9..12).and_then(|s| s.parse().ok()).context("status line")?;
        let mut len = 0usize;
        let mut set_cookie = None;
        let mut location = None;
        for line in head.lines().skip(1) {
            let Some((k, v)) = line.split_once(':') else { continue };
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse()?;
            } else if k.eq_ignore_ascii_case("set-cookie") && v.trim().starts_with("preau_session=") {
                set_cookie = v.trim().split(';').next().map(str::to_owned);
            } else if k.eq_ignore_ascii_case("location") {
                location = Some(v.trim().to_owned());
            }
        }
        while self.buf.len() < head_end + len {
            let mut chunk = [0u8; 16 * 1024];
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                bail!("connection closed in body");
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
        Ok(Reply { status, set_cookie, location })
    }
}

fn find(h: &[u8], n: &[u8]) -> Option<usize> {
    h.windows(n.len()).position(|w| w == n)
}
