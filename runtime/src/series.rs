//! A time series of per-bucket maxima that never grows past a fixed number of
//! points: when full, it halves its resolution (merging neighbouring buckets)
//! instead of dropping history.

/// Default number of points kept per series.
pub(crate) const DEFAULT_SERIES_POINTS: usize = 2048;

#[derive(Clone, Debug)]
pub(crate) struct MaxSeries {
    bucket_ms: u64,
    capacity: usize,
    /// `(bucket start in ms, max value in the bucket)`, in time order.
    points: Vec<(u64, u64)>,
}

impl MaxSeries {
    pub(crate) fn new(bucket_ms: u64, capacity: usize) -> Self {
        Self {
            bucket_ms: bucket_ms.max(1),
            capacity: capacity.max(2),
            points: Vec::new(),
        }
    }

    pub(crate) fn record(&mut self, at_ms: u64, value: u64) {
        let bucket = at_ms - at_ms % self.bucket_ms;
        match self.points.last_mut() {
            Some((start, max)) if *start == bucket => *max = (*max).max(value),
            // Samples arrive from several probes; a late one for an earlier
            // bucket folds into the newest bucket rather than reordering.
            Some((start, max)) if *start > bucket => *max = (*max).max(value),
            _ => self.points.push((bucket, value)),
        }
        if self.points.len() > self.capacity {
            self.halve_resolution();
        }
    }

    fn halve_resolution(&mut self) {
        self.bucket_ms *= 2;
        let mut merged: Vec<(u64, u64)> = Vec::with_capacity(self.points.len() / 2 + 1);
        for &(start, max) in &self.points {
            let bucket = start - start % self.bucket_ms;
            match merged.last_mut() {
                Some((last, last_max)) if *last == bucket => *last_max = (*last_max).max(max),
                _ => merged.push((bucket, max)),
            }
        }
        self.points = merged;
    }

    pub(crate) fn bucket_ms(&self) -> u64 {
        self.bucket_ms
    }

    pub(crate) fn points(&self) -> &[(u64, u64)] {
        &self.points
    }

    pub(crate) fn clear(&mut self, bucket_ms: u64) {
        self.bucket_ms = bucket_ms.max(1);
        self.points.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::MaxSeries;

    #[test]
    fn keeps_the_maximum_of_each_bucket() {
        let mut series = MaxSeries::new(100, 16);
        series.record(10, 5);
        series.record(90, 7);
        series.record(150, 3);
        assert_eq!(series.points(), &[(0, 7), (100, 3)]);
    }

    #[test]
    fn halves_resolution_instead_of_growing() {
        let mut series = MaxSeries::new(10, 4);
        for i in 0..100 {
            series.record(i * 10, i);
        }
        assert!(series.points().len() <= 4, "{:?}", series.points());
        assert_eq!(series.points().last().map(|p| p.1), Some(99));
        assert!(series.bucket_ms() > 10);
    }
}
