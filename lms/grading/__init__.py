"""Grading: auto-marking of exam attempts (per-slot score rows and the attempt's
result), later essay marking, release, regrade and appeals on the same tables."""
