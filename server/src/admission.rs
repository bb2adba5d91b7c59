//! Who may open a connection: the node-wide cap on connections, a cap per
//! client address, and the browser origins allowed to connect.
//!
//! The caps keep one client from taking the slots everybody needs: a
//! connection holds its [`Admitted`] ticket until its last byte is written,
//! and the ticket frees both its slot and its address's count on drop. (What
//! a connection may do once admitted — log in before a deadline, read what
//! it is sent — is the connection's business.)

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Why a connection was turned away.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Every slot is taken.
    Full,
    /// This address holds its share already.
    TooManyFromAddress,
}

/// The admission rules of one server.
pub struct Admission {
    slots: Arc<Semaphore>,
    max: usize,
    per_ip: usize,
    by_ip: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One admitted connection: frees its slot and its address's count on drop.
pub struct Admitted {
    _slot: OwnedSemaphorePermit,
    ip: IpAddr,
    by_ip: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut by_ip = self.by_ip.lock().unwrap();
        if let Some(n) = by_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                by_ip.remove(&self.ip);
            }
        }
    }
}

impl Admission {
    /// At most `max` connections, `per_ip` of them from one address.
    pub fn new(max: usize, per_ip: usize) -> Admission {
        Admission { slots: Arc::new(Semaphore::new(max)), max, per_ip, by_ip: Arc::default() }
    }

    /// Admits a connection from `ip`, or says why not.
    pub fn admit(&self, ip: IpAddr) -> Result<Admitted, Refusal> {
        let mut by_ip = self.by_ip.lock().unwrap();
        if by_ip.get(&ip).is_some_and(|n| *n >= self.per_ip) {
            return Err(Refusal::TooManyFromAddress);
        }
        let slot = self.slots.clone().try_acquire_owned().map_err(|_| Refusal::Full)?;
        *by_ip.entry(ip).or_insert(0) += 1;
        Ok(Admitted { _slot: slot, ip, by_ip: self.by_ip.clone() })
    }

    /// Connections admitted and not ended yet (`rtm_connections`).
    pub fn connections(&self) -> usize {
        self.max - self.slots.available_permits()
    }

    /// Waits (at most `within`) until every admitted connection has ended.
    pub async fn drained(&self, within: std::time::Duration) {
        let _ = tokio::time::timeout(within, self.slots.acquire_many(self.max as u32)).await;
    }
}

/// Whether a WebSocket upgrade with this `Origin` header may connect. An
/// empty list allows every origin. A request without the header is not from
/// a browser page (app servers, bots): the check defends users' browsers
/// against pages of other sites, so it lets such clients through.
pub fn origin_allowed(allowed: &[String], origin: Option<&str>) -> bool {
    match origin {
        _ if allowed.is_empty() => true,
        None => true,
        Some(origin) => allowed.iter().any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(origin)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_its_share_and_tickets_give_it_back() {
        let admission = Admission::new(3, 2);
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let a1 = admission.admit(a).unwrap();
        let _a2 = admission.admit(a).unwrap();
        assert_eq!(admission.admit(a).err(), Some(Refusal::TooManyFromAddress));
        let _b1 = admission.admit(b).unwrap();
        assert_eq!(admission.admit(b).err(), Some(Refusal::Full));
        drop(a1);
        assert!(admission.admit(a).is_ok(), "a closed connection frees its slot and its count");
        assert!(admission.by_ip.lock().unwrap().len() <= 2);
    }

    #[test]
    fn origins_match_exactly_and_clients_without_one_pass() {
        let allowed = vec!["https://app.example.com/".to_owned()];
        assert!(origin_allowed(&allowed, Some("https://app.example.com")));
        assert!(origin_allowed(&allowed, Some("HTTPS://APP.EXAMPLE.COM")));
        assert!(!origin_allowed(&allowed, Some("https://app.example.com.evil.test")));
        assert!(!origin_allowed(&allowed, Some("http://app.example.com")));
        assert!(origin_allowed(&allowed, None), "not a browser");
        assert!(origin_allowed(&[], Some("https://anything.test")));
    }
}
