"""Local fake servers speaking real provider wire formats, shared by tests and benchmarks."""
