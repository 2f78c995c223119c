//! Reference memory-store workloads, blocking versus fixed.
