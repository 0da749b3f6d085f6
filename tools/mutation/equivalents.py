"""Survivors judged equivalent: the mutant behaves as the original for every input the program can give it.

Keyed by (module, Cosmic Ray operator, the mutated line as written, stripped); the value is the one-line reason
docs/mutation.md repeats. A key stops matching when its line changes, so a stale judgement shows up again as a
survivor."""

from __future__ import annotations

EQUIVALENT: dict[tuple[str, str, str], str] = {}
