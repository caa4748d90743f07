"""Redrafting a section the legal officer has edited: the new figures go *into* the officer's
text, and the officer is asked only where both changed the same sentence.

A three-way merge: the changes from the draft the officer started from (`base`) to the fresh
draft (`theirs`) are carried into the officer's text (`mine`), sentence by sentence, each change
only where its words and the words around it are found exactly (diff-match-patch shows the
word-level differences). A sentence the officer left alone takes the fresh one; a sentence the fresh draft left
alone keeps the officer's; a sentence both changed is a conflict, and the officer chooses.

Differences are shown word by word: a number (32, 6.67%, 1.5万) is one word, as is a run of
Latin letters; every Chinese character is its own."""

import difflib
import re
from dataclasses import dataclass

from diff_match_patch import diff_match_patch
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_SENTENCE = re.compile(r"[^。；！？\n]*[。；！？]?\n?")
_WORD = re.compile(r"\d+(?:[.,]\d+)*(?:万|%)?|[A-Za-z]+|.", re.S)
_PRIVATE = 0xE000  # words are diffed as characters of Unicode's private use area


@dataclass
class Merged:
    text: str  # the merged text; where a sentence is in conflict, the fresh draft's sentence
    conflicts: list[tuple[str, str]]  # (the officer's sentence, the fresh one) both changed


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.findall(text) if s]


def three_way(*, base: str, mine: str, theirs: str) -> Merged:
    """Apply base → theirs to mine, sentence by sentence (see the module's docstring)."""
    if mine == base:
        return Merged(theirs, [])
    if theirs == base or theirs == mine:
        return Merged(mine, [])
    dmp = diff_match_patch()
    old, new = sentences(base), sentences(theirs)
    successor = _pair(old, new, dmp)  # each sentence of the old draft → its place in the new one
    kept = {s.strip() for s in old}
    out, conflicts, used = [], [], set()
    for sentence in sentences(mine):
        if sentence.strip() in kept:  # the officer left it as drafted: the fresh sentence
            fresh = successor[sentence.strip()]
            used.add(fresh)
            out.append(_ending_of(sentence, fresh))
            continue
        was = _closest(sentence, old, dmp)  # the drafted sentence the officer rewrote
        fresh = successor.get(was.strip(), was) if was is not None else None
        if fresh is None or was == fresh:  # the new draft did not change it: the officer's stands
            out.append(sentence)
            continue
        used.add(fresh)
        merged = _carry(was, fresh, sentence)
        if merged is not None:
            out.append(merged)
        else:  # both changed the same words: the officer decides
            conflicts.append((sentence.strip(), fresh.strip()))
            out.append(_ending_of(sentence, fresh))
    # sentences the new draft adds (a kind of record the year did not have before)
    out += [s for s in new if s not in used and s.strip() not in {o.strip() for o in old} and s not in out]
    return Merged("".join(out).rstrip("\n"), conflicts)


def _ending_of(sentence: str, text: str) -> str:
    """`text` ending a paragraph where `sentence` did, and not where it did not."""
    return text.rstrip("\n") + ("\n" if sentence.endswith("\n") else "")


def _pair(old: list[str], new: list[str], dmp) -> dict[str, str]:
    """Each sentence of the old draft → the sentence that took its place in the new one: the one
    at the same place when both have as many sentences (a redraft changes figures, not the
    order), else the closest."""
    if len(old) == len(new):
        return {o.strip(): n for o, n in zip(old, new, strict=True)}
    return {o.strip(): _closest(o, new, dmp, at_least=0) or o for o in old}


def _closest(sentence: str, candidates: list[str], dmp, *, at_least: float = 0.5) -> str | None:
    """The candidate `sentence` most resembles, if it resembles one at all (a sentence the
    officer wrote from nothing resembles none)."""
    scored = [(difflib.SequenceMatcher(None, sentence, c, autojunk=False).ratio(), c) for c in candidates]
    best = max(scored, default=(0, None))
    return best[1] if best[0] >= at_least else None


CONTEXT = 3  # words on each side that must be found in the officer's sentence


def _carry(was: str, fresh: str, sentence: str) -> str | None:
    """The officer's `sentence` with the changes from `was` to `fresh` carried into it, each
    where its words and the words around them are found exactly once; None if one is not."""
    before, after = _WORD.findall(was), _WORD.findall(fresh)
    result = sentence
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            continue
        left = "".join(after[max(0, b1 - CONTEXT) : b1])  # already carried: the fresh side
        right = "".join(before[a2 : a2 + CONTEXT])  # still to come: the old side
        old, new = left + "".join(before[a1:a2]) + right, left + "".join(after[b1:b2]) + right
        if result.count(old) != 1:
            return None
        result = result.replace(old, new)
    return result


def word_diff(old: str, new: str) -> SafeString:
    """`new` with what changed since `old` marked word by word (<del>, <ins>), escaped."""
    words, codes = [], {}

    def encode(text: str) -> str:
        out = []
        for word in _WORD.findall(text):
            if word not in codes:
                codes[word] = chr(_PRIVATE + len(words))
                words.append(word)
            out.append(codes[word])
        return "".join(out)

    dmp = diff_match_patch()
    diffs = dmp.diff_main(encode(old), encode(new), False)
    dmp.diff_cleanupSemantic(diffs)
    parts = []
    for op, chars in diffs:
        text = escape("".join(words[ord(ch) - _PRIVATE] for ch in chars))
        parts.append(text if op == 0 else f"<ins>{text}</ins>" if op == 1 else f"<del>{text}</del>")
    return mark_safe("".join(parts).replace("\n", "<br>"))  # noqa: S308 — every piece is escaped
