//! Brute-force protection that slows attackers without letting anyone lock a class out.
//!
//! Failures are counted per (account, source address) and per source address. After a few free
//! failures each further attempt must wait an exponentially growing delay (capped). A pupil
//! whose classmate hammers their login from another computer is not delayed on their own
//! computer, because the account counter is keyed by address too; an address that sprays many
//! accounts is slowed as a whole. Counters forget after a quiet period. Memory is bounded by
//! pruning stale entries.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

const FREE_FAILURES_PER_ACCOUNT: u32 = 5;
const FREE_FAILURES_PER_ADDRESS: u32 = 30;
const MAX_DELAY_SECS: i64 = 15 * 60;
const FORGET_AFTER_SECS: i64 = 60 * 60;

#[derive(Debug, Clone, Copy)]
struct Counter {
    failures: u32,
    last: i64,
}

impl Counter {
    fn wait_until(&self, free: u32) -> i64 {
        if self.failures < free {
            return i64::MIN;
        }
        let over = (self.failures - free).min(20);
        let delay = (1i64 << over).min(MAX_DELAY_SECS);
        self.last + delay
    }
}

#[derive(Default)]
pub struct Throttle {
    by_account: Mutex<HashMap<(String, IpAddr), Counter>>,
    by_address: Mutex<HashMap<IpAddr, Counter>>,
}

impl Throttle {
    /// Seconds to wait before `login` may be tried again from `addr`, or `None` if allowed now.
    pub fn check(&self, login: &str, addr: IpAddr, now: i64) -> Option<u64> {
        let key = (login.to_lowercase(), addr);
        let account = self.by_account.lock().ok()?.get(&key).map(|c| c.wait_until(FREE_FAILURES_PER_ACCOUNT));
        let address = self.by_address.lock().ok()?.get(&addr).map(|c| c.wait_until(FREE_FAILURES_PER_ADDRESS));
        let until = account.into_iter().chain(address).max()?;
        (until > now).then(|| (until - now) as u64)
    }

    pub fn failure(&self, login: &str, addr: IpAddr, now: i64) {
        let bump = |c: &mut Counter| {
            if now - c.last > FORGET_AFTER_SECS {
                c.failures = 0;
            }
            c.failures += 1;
            c.last = now;
        };
        if let Ok(mut m) = self.by_account.lock() {
            if m.len() > 100_000 {
                m.retain(|_, c| now - c.last <= FORGET_AFTER_SECS);
            }
            bump(m.entry((login.to_lowercase(), addr)).or_insert(Counter { failures: 0, last: now }));
        }
        if let Ok(mut m) = self.by_address.lock() {
            if m.len() > 100_000 {
                m.retain(|_, c| now - c.last <= FORGET_AFTER_SECS);
            }
            bump(m.entry(addr).or_insert(Counter { failures: 0, last: now }));
        }
    }

    /// A successful login clears that account's counter for that address.
    pub fn success(&self, login: &str, addr: IpAddr) {
        if let Ok(mut m) = self.by_account.lock() {
            m.remove(&(login.to_lowercase(), addr));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn repeated_failures_slow_down_that_source() {
        let t = Throttle::default();
        for _ in 0..FREE_FAILURES_PER_ACCOUNT {
            assert_eq!(t.check("zoe.martin", ip("10.0.0.1"), 100), None);
            t.failure("zoe.martin", ip("10.0.0.1"), 100);
        }
        assert!(t.check("zoe.martin", ip("10.0.0.1"), 100).is_some());
        assert_eq!(t.check("zoe.martin", ip("10.0.0.1"), 100 + 2), None);
    }

    #[test]
    fn an_attacker_elsewhere_does_not_lock_the_owner_out() {
        let t = Throttle::default();
        for _ in 0..50 {
            t.failure("zoe.martin", ip("10.0.0.66"), 100);
        }
        assert!(t.check("zoe.martin", ip("10.0.0.66"), 100).is_some());
        assert_eq!(t.check("zoe.martin", ip("10.0.0.7"), 100), None);
    }

    #[test]
    fn an_address_spraying_many_accounts_is_slowed() {
        let t = Throttle::default();
        for i in 0..FREE_FAILURES_PER_ADDRESS {
            t.failure(&format!("eleve{i}"), ip("10.0.0.66"), 100);
        }
        assert!(t.check("someone.else", ip("10.0.0.66"), 100).is_some());
    }
}
