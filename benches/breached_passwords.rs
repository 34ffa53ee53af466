//! How long one breached-password lookup takes (SHA-1 of the password and three reads of the
//! filter), over the bundled set: `cargo bench --bench breached_passwords`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use portico::domain::breached_passwords::BreachedPasswords;
use std::hint::black_box;
use std::time::Instant;

fn main() {
    let set = BreachedPasswords::bundled().expect("bundled set");
    let candidates: Vec<String> = (0..1_000_000)
        .map(|i| format!("candidate passphrase number {i}"))
        .collect();
    // Touch every page once so the figure is the steady state, not first-fault cost.
    let warm = candidates.iter().filter(|p| set.contains(p)).count();
    let started = Instant::now();
    let mut hits = 0usize;
    for p in &candidates {
        hits += usize::from(set.contains(black_box(p)));
    }
    let elapsed = started.elapsed();
    println!(
        "{} lookups over {} passwords: {:.0} ns each ({} flagged, {} in warm-up)",
        candidates.len(),
        set.entries(),
        elapsed.as_nanos() as f64 / candidates.len() as f64,
        hits,
        warm
    );
}
