//! A deterministic CPU embedding: 384-dimension feature hashing of character
//! n-grams, L2-normalised.
//!
//! It stands in for a real embedding model: it costs a few hundred µs of pure
//! CPU per memory-sized text (2-3 KB; criterion group `embed`), and it is a
//! pure function of the text, so the
//! blocking and fixed variants produce bit-identical vectors and identical
//! search results.

/// How many CPU-heavy jobs the fixed variants run at once on the blocking
/// pool by default: one per core. Leaving a core to the executor (cores - 1)
/// was measured on the 2-core machine: p99 loop lag stayed at the idle floor
/// either way (1.6 vs 1.7 ms) while throughput fell by 40%, so it is not the
/// default. Sync: reading the core count may read cgroup files.
pub fn cpu_permits() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Dimensions of every embedding.
pub const DIM: usize = 384;

/// Character n-gram lengths hashed into the vector.
const NGRAMS: std::ops::RangeInclusive<usize> = 3..=5;

/// Independent hash rounds per n-gram (more rounds = denser vectors, more CPU).
const ROUNDS: u64 = 12;

/// An embedding vector, unit length (or all zeros for texts under 3 bytes).
pub type Embedding = Vec<f32>;

/// Embeds `text`; pure CPU work proportional to its length (more with the
/// gate's slowdown knob set: [`crate::slowdown`]).
pub fn embed(text: &str) -> Embedding {
    crate::slowdown::slowed(|| hash_ngrams(text))
}

fn hash_ngrams(text: &str) -> Embedding {
    let mut vector = vec![0f32; DIM];
    let bytes = text.as_bytes();
    for n in NGRAMS {
        for window in bytes.windows(n) {
            let base = fnv1a(window);
            for round in 0..ROUNDS {
                let hash = mix(base ^ round.wrapping_mul(0x9E37_79B9_7F4A_7C15));
                let index = (hash % DIM as u64) as usize;
                let sign = if hash >> 63 == 1 { -1.0 } else { 1.0 };
                vector[index] += sign;
            }
        }
    }
    normalise(&mut vector);
    vector
}

/// Dot product; equals cosine similarity for unit vectors.
pub fn similarity(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn normalise(vector: &mut [f32]) {
    let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        vector.iter_mut().for_each(|x| *x /= norm);
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// SplitMix64's finaliser: spreads the FNV hash over all 64 bits.
fn mix(mut x: u64) -> u64 {
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_text_gives_the_same_unit_vector() {
        let a = embed("the agent remembered the meeting notes");
        let b = embed("the agent remembered the meeting notes");
        assert_eq!(a, b);
        assert!((similarity(&a, &a) - 1.0).abs() < 1e-4);
    }

    #[test]
    fn related_texts_are_closer_than_unrelated_ones() {
        let base = embed("the user prefers dark roast coffee in the morning");
        let near = embed("the user prefers dark roast coffee every morning");
        let far = embed("quarterly tax filing deadline for the subsidiary");
        assert!(similarity(&base, &near) > similarity(&base, &far));
    }

    #[test]
    fn tiny_text_is_the_zero_vector() {
        assert!(embed("ab").iter().all(|x| *x == 0.0));
    }
}
