"""Player memory: what characters remember about players, and the stores that keep it.

``store`` (MemoryStore port, SqliteMemoryStore), ``observer`` (events -> attempt record),
``rules`` (personality, relationship, difficulty, notable memories), ``snapshot``
(PlayerMemory, what a session starts with), ``cli`` (``digital-actors memory ...``),
``migrations``, ``maintenance`` (backup, restore, check), ``salvage``. See docs/OPERATIONS.md.
"""
