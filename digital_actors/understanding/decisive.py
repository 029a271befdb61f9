"""Which signals decide how a scene ends: the ones a false "yes" can cost the player the story.

A signal is decisive when an ending's condition reads it (``signals.<id>``) or reads a state
variable its effects write. Phases count one level deep: when an ending reads ``phase``,
whatever a phase's ``enter`` condition reads is read by that ending too (a signal that opens
the last act decides the ending as surely as one the ending names). Signal gates (``when``)
and director rules are not followed: they change when things can happen, not how it ends.
A writer overrides the derivation with ``decisive = true`` or ``false`` on the signal.
"""

from __future__ import annotations

from digital_actors.scene.model import Scene


def ending_reads(scene: Scene) -> frozenset[str]:
    """Every name an ending's condition reads, directly or through a phase's ``enter``."""
    names: set[str] = set()
    for ending in scene.endings:
        names |= ending.when_expr.names
    if "phase" in names:
        for phase in scene.phases:
            if phase.enter_expr is not None:
                names |= phase.enter_expr.names
    return frozenset(names)


def decisive_signals(scene: Scene) -> frozenset[str]:
    """The ids of the scene's decisive signals (``Signal.decisive`` when set, else derived)."""
    reads = ending_reads(scene)
    out: set[str] = set()
    for signal in scene.signals:
        if signal.decisive is not None:
            derived = signal.decisive
        else:
            derived = f"signals.{signal.id}" in reads or any(e.var in reads for e in signal.compiled_effects)
        if derived:
            out.add(signal.id)
    return frozenset(out)
