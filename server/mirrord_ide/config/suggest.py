""" "Did you mean" suggestions that stay cheap on any input.

`difflib` costs time proportional to the word's length; a word more than
about twice as long as every choice can never reach the similarity cutoff, so
it is not compared at all (a pasted megabyte is not a typo of `container`).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence


def close_matches(word: str, choices: Sequence[str], n: int = 1, cutoff: float = 0.6) -> list[str]:
    longest = max((len(c) for c in choices), default=0)
    # ratio = 2*matches / (len(word) + len(choice)) <= 2*len(choice) / (len(word) + len(choice))
    if not choices or len(word) * cutoff > (2 - cutoff) * longest:
        return []
    return difflib.get_close_matches(word, choices, n=n, cutoff=cutoff)
