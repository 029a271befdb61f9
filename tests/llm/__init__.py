"""Provider adapter tests: the real SDKs against local fake servers."""
