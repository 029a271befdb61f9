"""A realistic ``player_memory.db`` of the earlier project (layout: /work/shared/LEGACY_SCHEMA.md and
its player_memory.py): per-connection player ids, numbers stored as text, values encrypted with its
encryption setting on, a double-logged attempt, an attempt of a player the file does not have."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

SCHEMA = """
CREATE TABLE players (player_id TEXT PRIMARY KEY, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    last_seen TIMESTAMP DEFAULT CURRENT_TIMESTAMP, total_sessions INTEGER DEFAULT 0,
    total_playtime_seconds INTEGER DEFAULT 0);
CREATE TABLE sessions (session_id INTEGER PRIMARY KEY AUTOINCREMENT, player_id TEXT,
    started_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, ended_at TIMESTAMP, scenes_completed INTEGER DEFAULT 0,
    FOREIGN KEY (player_id) REFERENCES players (player_id));
CREATE TABLE scene_attempts (attempt_id INTEGER PRIMARY KEY AUTOINCREMENT, player_id TEXT, scene_id TEXT,
    character_id TEXT, started_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, ended_at TIMESTAMP, outcome TEXT,
    final_trust INTEGER, correct_actions INTEGER, incorrect_actions INTEGER, interrupted_npc BOOLEAN, data JSON,
    FOREIGN KEY (player_id) REFERENCES players (player_id));
CREATE TABLE personality_profiles (player_id TEXT PRIMARY KEY, impulsiveness TEXT DEFAULT '50',
    cooperation TEXT DEFAULT '50', problem_solving TEXT DEFAULT '50', patience TEXT DEFAULT '50',
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, FOREIGN KEY (player_id) REFERENCES players (player_id));
CREATE TABLE relationships (player_id TEXT, character_id TEXT, trust TEXT DEFAULT '0',
    familiarity TEXT DEFAULT '0', last_interaction TIMESTAMP, PRIMARY KEY (player_id, character_id),
    FOREIGN KEY (player_id) REFERENCES players (player_id));
"""
# What its encryption setting stored: Fernet tokens, and encrypted JSON envelopes.
FERNET = "gAAAAABmQ1x2b3J0eV9ieXRlc19vZl9jaXBoZXJ0ZXh0X2hlcmVfX19fX19fX19fX19fX19fXw=="
ENVELOPE = '{"v": 1, "nonce": "3q2+7w==", "ciphertext": "a9f3c2e1d0"}'
ALICE = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"  # a per-connection id (uuid-shaped)
CONN = "conn-1714212345-8812"  # another, the same person on another day
ENCRYPTED = "conn-1714299999-0042"  # a player whose numbers were all encrypted
GHOST = "conn-gone"  # attempts remain, the player row does not

ATTEMPTS = [
    # player, scene, character, started, ended, outcome, final_trust, correct, incorrect, interrupted, data
    (ALICE, "submarine", "engineer", "2025-11-02 20:01:05", "2025-11-02 20:09:40", "success", 20, 4, 1, 0,
     '{"ending": "surfaced_together", "oxygen": 41}'),
    (ALICE, "submarine", "engineer", "2025-11-02 20:01:05", "2025-11-02 20:09:40", "success", 20, 4, 1, 0,
     '{"ending": "surfaced_together", "oxygen": 41}'),  # logged twice by the old server
    (ALICE, "submarine", "engineer", "2025-11-03 19:00:00", "2025-11-03 19:04:12", "failure", -10, 1, 3, 1,
     '{"radiation": 97}'),
    (ALICE, "merlins_room", "wizard", "2025-11-04 18:30:00", "2025-11-04 18:41:00", "success", 5, 2, 0, 0, None),
    (CONN, "crown_court", "judge", "2025-11-05 12:00:00", "2025-11-05 12:20:00", "failure", 0, 0, 2, 0, "{}"),
    (CONN, "submarine", "engineer", "2025-11-06 12:00:00", None, None, None, None, None, None, FERNET),
    (ENCRYPTED, "life_raft", "captain_hale", "2025-11-07 09:00:00", "2025-11-07 09:10:00", "quit", 0, 0, 0,
     "1", ENVELOPE),
    (GHOST, "welcome", "guide", "2025-10-01 10:00:00", "2025-10-01 10:05:00", "success", 0, 1, 0, 0, None),
]


def build_legacy_db(path: Path) -> Path:
    """Write the fixture file (SQLite, as the earlier project left it) and return its path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(SCHEMA)
        conn.executemany("INSERT INTO players (player_id, created_at, last_seen, total_sessions) VALUES (?, ?, ?, ?)",
                         [(ALICE, "2025-11-02 20:00:00", "2025-11-04 18:41:00", 3),
                          (CONN, "2025-11-05 11:59:00", "2025-11-06 12:00:00", 2),
                          (ENCRYPTED, "2025-11-07 08:59:00", "2025-11-07 09:10:00", 1)])
        conn.executemany("INSERT INTO sessions (player_id, started_at, ended_at) VALUES (?, ?, ?)",
                         [(ALICE, "2025-11-02 20:00:00", "2025-11-02 20:10:00"), (CONN, "2025-11-06 12:00:00", None)])
        conn.executemany(
            "INSERT INTO scene_attempts (player_id, scene_id, character_id, started_at, ended_at, outcome, "
            "final_trust, correct_actions, incorrect_actions, interrupted_npc, data) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", ATTEMPTS)
        conn.executemany(
            "INSERT INTO personality_profiles (player_id, impulsiveness, cooperation, problem_solving, patience, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            [(ALICE, "70", "40", "65", "55", "2025-11-04 18:41:00"),
             (CONN, "35", ENVELOPE, "50", "120", "2025-11-06 12:00:00"),  # one encrypted, one out of range
             (ENCRYPTED, FERNET, FERNET, FERNET, FERNET, "2025-11-07 09:10:00")])
        conn.executemany(
            "INSERT INTO relationships (player_id, character_id, trust, familiarity, last_interaction) "
            "VALUES (?, ?, ?, ?, ?)",
            [(ALICE, "engineer", "10", "3", "2025-11-03 19:04:12"),
             (ALICE, "wizard", "a lot", "1", "2025-11-04 18:41:00"),  # malformed trust
             (ENCRYPTED, "captain_hale", FERNET, FERNET, "2025-11-07 09:10:00"),
             (GHOST, "guide", "5", "1", "2025-10-01 10:05:00")])
        conn.commit()
    return path
