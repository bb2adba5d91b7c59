//! What a scenario reports (one [`Record`] per server and size, the JSON shape
//! every runner writes: bench/socketio/ and bench/browser/ too), and
//! percentiles.

use serde::Serialize;
use serde_json::Value;

/// One figure set: a scenario, on one server, at one size.
#[derive(Debug, Serialize)]
pub struct Record {
    /// `fanout`, `peer_rtt`, `idle_memory`, `churn`.
    pub scenario: &'static str,
    /// `rtm` or `raw`.
    pub server: &'static str,
    /// The size and shape.
    pub params: Value,
    /// The figures.
    pub metrics: Value,
    /// The scenario's correctness check held (every message, once).
    pub ok: bool,
    /// Why not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The `p`th percentile (0–100) of `values`, sorting them; 0 for none.
pub fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * (values.len() - 1) as f64).round() as usize;
    values[rank.min(values.len() - 1)]
}

/// Rounds to 3 significant decimals, for readable JSON.
pub fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles() {
        let mut v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&mut v, 50.0), 51.0);
        assert_eq!(percentile(&mut v, 99.0), 99.0);
        assert_eq!(percentile(&mut [], 50.0), 0.0);
    }
}
