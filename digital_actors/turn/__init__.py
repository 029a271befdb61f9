"""The turn: one player in one scene — the session, its line queue, signals and ports."""
