//! Seeded generation: a small PRNG and the synthetic texts every workload
//! uses, so that one `--seed` reproduces a run's operations exactly.

/// SplitMix64: tiny, fast, good enough for workload generation (not crypto).
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// A generator for one stream (a client, a repository) derived from a seed.
    pub fn derive(seed: u64, stream: u64) -> Rng {
        let mut rng = Rng(seed ^ stream.wrapping_mul(0xA24B_AED4_963E_E407));
        rng.next_u64();
        rng
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..bound` (`bound > 0`).
    pub fn below(&mut self, bound: u64) -> u64 {
        self.next_u64() % bound
    }

    /// Uniform in `low..=high`.
    pub fn between(&mut self, low: usize, high: usize) -> usize {
        low + self.below((high - low + 1) as u64) as usize
    }

    /// True with probability `percent / 100`.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const WORDS: &[&str] = &[
    "agent",
    "memory",
    "user",
    "prefers",
    "meeting",
    "notes",
    "project",
    "deadline",
    "coffee",
    "morning",
    "report",
    "budget",
    "travel",
    "flight",
    "hotel",
    "invoice",
    "customer",
    "ticket",
    "release",
    "deploy",
    "rollback",
    "incident",
    "latency",
    "database",
    "index",
    "vector",
    "search",
    "session",
    "token",
    "summary",
    "context",
    "window",
    "tool",
    "call",
    "result",
    "error",
    "retry",
    "timeout",
    "cache",
    "schema",
    "migration",
    "review",
    "feedback",
    "design",
    "roadmap",
    "quarter",
    "metric",
    "dashboard",
    "alert",
    "oncall",
    "holiday",
    "birthday",
    "family",
    "recipe",
    "garden",
    "music",
    "playlist",
    "book",
    "chapter",
    "language",
    "lesson",
    "exercise",
    "health",
    "doctor",
    "appointment",
    "insurance",
    "contract",
    "lawyer",
    "tax",
    "subsidiary",
    "warehouse",
    "shipment",
    "supplier",
    "price",
    "discount",
    "subscription",
    "renewal",
    "password",
    "account",
    "backup",
    "restore",
    "snapshot",
    "cluster",
    "node",
    "shard",
    "replica",
    "queue",
    "stream",
    "event",
    "webhook",
    "payload",
    "parser",
    "compiler",
    "runtime",
    "thread",
    "executor",
    "future",
    "stall",
    "blocking",
    "async",
    "await",
];

/// A prose-like text of `words` words drawn from a fixed vocabulary.
pub fn text(rng: &mut Rng, words: usize) -> String {
    let mut out = String::with_capacity(words * 8);
    for index in 0..words {
        if index > 0 {
            out.push(if index % 12 == 0 { '.' } else { ' ' });
            if index % 12 == 0 {
                out.push(' ');
            }
        }
        out.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_seed_reproduces_the_same_text() {
        assert_eq!(text(&mut Rng::new(7), 40), text(&mut Rng::new(7), 40));
        assert_ne!(text(&mut Rng::new(7), 40), text(&mut Rng::new(8), 40));
    }

    #[test]
    fn derived_streams_differ() {
        assert_ne!(Rng::derive(1, 0).next_u64(), Rng::derive(1, 1).next_u64());
    }
}
