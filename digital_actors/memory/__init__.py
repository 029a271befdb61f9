"""Player memory: what characters remember about players, and the stores that keep it.

``store`` (MemoryStore port, SqliteMemoryStore), ``postgres`` (PostgresMemoryStore), ``stores``
(``connect_store``: the one a setting names), ``observer`` (events -> attempt record),
``rules`` (personality, relationship, difficulty, notable memories), ``queries`` (the SQL: ``recollection``
builds the player's ``Recollection``, what a session starts with), ``cli`` (``digital-actors memory ...``),
``migrations``, ``maintenance`` (backup, restore, check), ``salvage``, ``transfer`` (``memory
migrate``). See docs/OPERATIONS.md and docs/SCALING.md.
"""
