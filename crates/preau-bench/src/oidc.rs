//! The OpenID Connect part of the single sign-on benchmark: with a portal session, the code
//! flow (`/authorize` answered with a code, then the code exchanged at `/token` for an ID token
//! signed with ES256, or RS256 for comparison), and token introspection; and the same flows
//! against the npm `oidc-provider` started by `bench/peer-oidc/server.mjs`.

use crate::http::Conn;
use crate::{Req, closed, count, merged, open};
use anyhow::{Context, Result, bail};
use base64::Engine;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

const REDIRECT: &str = "https://rp.example.org/callback";
const REDIRECT_ESCAPED: &str = "https%3A%2F%2Frp.example.org%2Fcallback";
const VERIFIER: &str = "a-code-verifier-of-forty-three-characters-at-least-0123";
/// base64url(SHA-256(VERIFIER)).
const CHALLENGE: &str = "4vQtoYE1DepBP-z7Tcl5HKkOmyBpto2sGyL3C-gbTZQ";

/// A client of one provider, signed in through one browser session.
#[derive(Clone)]
pub struct Target {
    pub authorize: &'static str,
    pub token: &'static str,
    pub introspect: &'static str,
    pub client_id: String,
    /// `Authorization: Basic …\r\n`.
    pub basic: String,
    pub cookie: String,
    /// An access token to introspect.
    pub access_token: String,
}

fn basic(id: &str, secret: &str) -> String {
    format!("Authorization: Basic {}\r\n", base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}")))
}

/// `/authorize` with the session, then the code exchanged: 200 when an ID token comes back.
pub async fn flow(c: &mut Conn, t: &Target) -> Result<u16> {
    let q = format!(
        "{}?response_type=code&client_id={}&redirect_uri={REDIRECT_ESCAPED}&scope=openid%20profile&code_challenge={CHALLENGE}&code_challenge_method=S256&nonce=n",
        t.authorize, t.client_id
    );
    let r = c.get(&q, Some(&t.cookie)).await?;
    let Some(code) = r.location.as_deref().and_then(|l| l.split("code=").nth(1)).map(|s| s.split('&').next().unwrap_or_default().to_owned()) else {
        return Ok(if r.status / 100 == 3 { 599 } else { r.status });
    };
    let body = format!("grant_type=authorization_code&code={code}&redirect_uri={REDIRECT_ESCAPED}&code_verifier={VERIFIER}");
    let r = c.post_form_with(t.token, &t.basic, &body).await?;
    Ok(if r.status == 200 && c.body().contains("\"id_token\"") { 200 } else { 598 })
}

/// Introspection of a live access token: 200 when it is reported active.
pub async fn introspect(c: &mut Conn, t: &Target) -> Result<u16> {
    let r = c.post_form_with(t.introspect, &t.basic, &format!("token={}", t.access_token)).await?;
    Ok(if r.status == 200 && c.body().contains("\"active\":true") { 200 } else { 597 })
}

fn json_field(body: &str, name: &str) -> Option<String> {
    serde_json::from_str::<serde_json::Value>(body).ok()?.get(name)?.as_str().map(str::to_owned)
}

/// Registers a pre-approved confidential client in Préau (as the demo territory admin), signs the
/// teacher in once, and returns it ready to use.
pub async fn preau_target(addr: &str, admin: &(String, String), code: &str, alg: &str, cookie: &str) -> Result<Target> {
    let mut c = Conn::open(addr).await?;
    let (admin, csrf) = admin;
    let connector = format!(
        r#"{{"code":"{code}","name":"Manuels {alg}","url":"https://rp.example.org/","protocol":"oidc","service_urls":["{REDIRECT}"],"profiles":["ENS"],"release":["family_name","given_name"],"purpose":"Benchmark","legal_basis":"Mission d'intérêt public","signing_alg":"{alg}","preapproved":true}}"#
    );
    let r = c.send_json("POST", "/api/v1/connectors", &format!("Cookie: {admin}\r\nX-CSRF-Token: {csrf}\r\n"), &connector).await?;
    if r.status != 201 {
        bail!("OIDC connector registration answered {}: {}", r.status, c.body());
    }
    let body = c.body();
    let client_id = json_field(&body, "service").context("client id")?;
    let secret = json_field(&body, "client_secret").context("client secret")?;
    let mut t = Target {
        authorize: "/oidc/authorize",
        token: "/oidc/token",
        introspect: "/oidc/introspect",
        basic: basic(&client_id, &secret),
        client_id,
        cookie: cookie.to_owned(),
        access_token: String::new(),
    };
    t.access_token = first_access_token(addr, &t).await?;
    Ok(t)
}

async fn first_access_token(addr: &str, t: &Target) -> Result<String> {
    let mut c = Conn::open(addr).await?;
    if flow(&mut c, t).await? != 200 {
        bail!("first OIDC flow failed: {}", c.body());
    }
    json_field(&c.body(), "access_token").context("access token")
}

/// A running `oidc-provider`, killed when dropped.
pub struct Peer {
    child: Child,
    pub target: Target,
    pub addr: String,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Installs (npm ci) and starts `bench/peer-oidc/server.mjs`; reads its session and token.
pub fn start_peer(port: u16) -> Result<Peer> {
    let dir = std::path::Path::new("bench/peer-oidc");
    let ok = Command::new("npm").args(["ci", "--no-audit", "--no-fund", "--loglevel=error"]).current_dir(dir).stdout(Stdio::null()).status()?.success();
    if !ok {
        bail!("npm ci in bench/peer-oidc failed");
    }
    let mut child = Command::new("node").arg("server.mjs").arg(port.to_string()).current_dir(dir).stdout(Stdio::piped()).stderr(Stdio::null()).spawn()?;
    let (mut cookie, mut token) = (String::new(), String::new());
    if let Some(out) = child.stdout.take() {
        let mut lines = BufReader::new(out).lines();
        for line in lines.by_ref() {
            let line = line?;
            if let Some(c) = line.strip_prefix("COOKIE ") {
                cookie = c.to_owned();
            } else if let Some(t) = line.strip_prefix("TOKEN ") {
                token = t.to_owned();
                break;
            }
        }
        // Whatever it prints later must find a reader, or Node dies of a broken pipe.
        std::thread::spawn(move || lines.for_each(drop));
    }
    if cookie.is_empty() || token.is_empty() {
        let _ = child.kill();
        bail!("oidc-provider did not start");
    }
    let target = Target {
        authorize: "/auth",
        token: "/token",
        introspect: "/token/introspection",
        client_id: "bench".into(),
        basic: basic("bench", "bench-secret-of-the-peer-client-0123456789"),
        cookie,
        access_token: token,
    };
    Ok(Peer { child, target, addr: format!("127.0.0.1:{port}") })
}

/// One row: open loop at `rate` (p50, p99, failed), then saturation (per s, p99).
pub async fn row(name: &str, addr: &str, rate: f64, secs: f64, reqs: Vec<Req>) -> Result<f64> {
    let (by, _) = open(addr, 64, rate, secs, reqs.clone()).await?;
    let mut st = merged(&by, |c| c == 200);
    let failed = count(&by, |c| c != 200);
    let (by2, el2) = closed(addr, 64, secs, reqs).await?;
    let mut st2 = merged(&by2, |c| c == 200);
    let sat = st2.latencies_us.len() as f64 / el2;
    println!("| {name} | {:.0} | {:.2} | {:.2} | {failed} | {sat:.0} | {:.2} |", st.latencies_us.len() as f64 / secs, st.pct(0.5), st.pct(0.99), st2.pct(0.99));
    Ok(sat)
}

/// The OIDC benchmark: Préau's code flow (ES256, RS256) and introspection, `/healthz` at the
/// same rates as the baseline, and with `peer` the same against `oidc-provider`.
pub async fn bench(addr: &str, admin: &(String, String), cookie: &str, secs: f64, peer: bool) -> Result<()> {
    let es = Arc::new(preau_target(addr, admin, "manuels-es", "ES256", cookie).await?);
    let rs = Arc::new(preau_target(addr, admin, "manuels-rs", "RS256", cookie).await?);
    let health = vec![Req::Get("/healthz", None)];
    println!("\n## OpenID Connect (a flow is 2 requests: /authorize with the session → code, /token → ID token); 64 connections");
    println!("| what | open loop: per s | p50 ms | p99 ms | failed | saturation per s | p99 ms |\n|---|---|---|---|---|---|---|");
    let flow_rate = 5000.0;
    row(&format!("/healthz at {flow_rate:.0}/s (baseline)"), addr, flow_rate, secs, health.clone()).await?;
    let es_sat = row(&format!("code flow, ES256, at {flow_rate:.0}/s"), addr, flow_rate, secs, vec![Req::OidcFlow(es.clone())]).await?;
    row("code flow, RS256, at 1000/s", addr, 1000.0, secs, vec![Req::OidcFlow(rs)]).await?;
    let intro_rate = 20_000.0;
    row(&format!("/healthz at {intro_rate:.0}/s (baseline)"), addr, intro_rate, secs, health).await?;
    let intro_sat = row(&format!("introspection at {intro_rate:.0}/s"), addr, intro_rate, secs, vec![Req::Introspect(es.clone())]).await?;
    println!("targets: code flow ≥ 5,000/s at p99 ≤ 20 ms; introspection ≥ 20,000/s");
    if !peer {
        return Ok(());
    }
    let p = start_peer(18_700 + (std::process::id() % 100) as u16)?;
    let pt = Arc::new(p.target.clone());
    let rate = 200.0;
    println!("\n## peer: npm oidc-provider 9.13.3 (Node.js, one process, in-memory adapter), same client and flows (ES256)");
    println!("| server | open loop: per s | p50 ms | p99 ms | failed | saturation per s | p99 ms |\n|---|---|---|---|---|---|---|");
    let a = row(&format!("Préau, code flow at {rate:.0}/s"), addr, rate, secs, vec![Req::OidcFlow(es.clone())]).await?;
    let b = row(&format!("oidc-provider, code flow at {rate:.0}/s"), &p.addr, rate, secs, vec![Req::OidcFlow(pt.clone())]).await?;
    // The peer's in-memory adapter keeps 1,000 entries (LRU): take fresh tokens after the flows.
    let es = Arc::new(Target { access_token: first_access_token(addr, &es).await?, ..(*es).clone() });
    let pt = Arc::new(Target { access_token: first_access_token(&p.addr, &pt).await?, ..(*pt).clone() });
    let ia = row(&format!("Préau, introspection at {:.0}/s", rate * 5.0), addr, rate * 5.0, secs, vec![Req::Introspect(es)]).await?;
    let ib = row(&format!("oidc-provider, introspection at {:.0}/s", rate * 5.0), &p.addr, rate * 5.0, secs, vec![Req::Introspect(pt)]).await?;
    println!(
        "saturation ratio Préau / oidc-provider: code flow {:.1}, introspection {:.1} (Préau's earlier phases: {es_sat:.0} flows/s, {intro_sat:.0} introspections/s)",
        a / b.max(1.0),
        ia / ib.max(1.0)
    );
    Ok(())
}
