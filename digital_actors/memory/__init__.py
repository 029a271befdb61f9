"""Player memory: what characters remember about players, and the stores that keep it."""
