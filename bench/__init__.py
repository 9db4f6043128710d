"""Benchmarks: figures printed, never asserted. See BENCHMARKS.md and bench/run.sh."""
