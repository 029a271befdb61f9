"""The game's screens and dialogs, one module each."""
