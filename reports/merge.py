"""Redrafting a section the legal officer has edited: the new figures go *into* the officer's
text, and the officer is asked only where both changed the same sentence.

A three-way merge: the changes from the draft the officer started from (`base`) to the fresh
draft (`theirs`) are carried into the officer's text (`mine`), sentence by sentence, each change
only where its words and the words around it are found exactly (diff-match-patch shows the
word-level differences). A sentence the officer left alone takes the fresh one; a sentence the fresh draft left
alone keeps the officer's; a sentence both changed is a conflict, and the officer chooses, for
each such sentence: keep theirs, take the fresh one, or keep their words with only the changed
figures updated (update_numbers; the default wherever it can be done).

The same alignment finds the sentences whose figures are out of date (stale_sentences): what
reports/stale.py checks before a report is submitted and signed.

Differences are shown word by word: a number (32, 6.67%, 1.5万) is one word, as is a run of
Latin letters; every Chinese character is its own."""

import difflib
import re
from collections import Counter
from dataclasses import dataclass
from typing import NamedTuple

from diff_match_patch import diff_match_patch
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_SENTENCE = re.compile(r"[^。；！？\n]*[。；！？]?\n?")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*(?:万|%)?")
_WORD = re.compile(_NUMBER.pattern + r"|[A-Za-z]+|.", re.S)
_PRIVATE = 0xE000  # words are diffed as characters of Unicode's private use area


# The three ways of settling a sentence both the officer and the fresh figures changed.
MINE, FRESH, NUMBERS = "mine", "fresh", "numbers"


class Conflict(NamedTuple):
    """A sentence the officer and the fresh draft both changed. `numbers`: the officer's sentence
    with only the changed figures updated (update_numbers), None when that cannot be done."""

    mine: str  # the officer's sentence
    fresh: str  # the fresh draft's sentence in its place
    numbers: str | None
    was: str  # the drafted sentence both started from
    ending: str  # "\n" when the sentence ends its paragraph
    fresh_at: int  # its place among the fresh draft's sentences

    @property
    def default(self) -> str | None:
        """What the officer gets without choosing: never the loss of their words or of the
        fresh figures, so only the numbers update, where it can be done; else no default."""
        return NUMBERS if self.numbers is not None else None

    def resolved(self, choice: str | None) -> str:
        text = {MINE: self.mine, NUMBERS: self.numbers}.get(choice) if choice else None
        return (text if text is not None else self.fresh) + self.ending


@dataclass
class Merged:
    parts: list  # the merged text: strings, and the index of a conflict where one is
    conflicts: list[Conflict]
    theirs: str = ""  # the fresh draft
    whole: bool = False  # one of the texts as it is (nothing was merged sentence by sentence)

    def resolve(self, choices: dict[int, str] | None = None) -> str:
        """The merged text with each conflict settled as `choices` says (index → MINE, FRESH or
        NUMBERS); a conflict not chosen takes the fresh sentence."""
        if self.whole:
            return self.parts[0]
        out = []
        for part in self.parts:
            settled = isinstance(part, int)
            out.append(self.conflicts[part].resolved((choices or {}).get(part)) if settled else part)
        return "".join(out).rstrip("\n")

    @property
    def text(self) -> str:
        """The merged text; where a sentence is in conflict, the fresh draft's sentence."""
        return self.resolve()

    def base_after(self, choices: dict[int, str] | None = None) -> str:
        """The draft the merged text is based on once `choices` are taken: the fresh draft, but
        where the officer kept their own sentence, the drafted sentence it kept (so that its
        figures still show as not updated, reports/stale.py, and the next update asks again)."""
        new = sentences(self.theirs)
        for index, conflict in enumerate(self.conflicts):
            if (choices or {}).get(index) == MINE:
                new[conflict.fresh_at] = _ending_of(new[conflict.fresh_at], conflict.was)
        return "".join(new)


def sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.findall(text) if s]


def numbers(text: str) -> list[str]:
    """The figures a text states, in order (32, 6.67%, 1.5万)."""
    return _NUMBER.findall(text)


def update_numbers(*, was: str, fresh: str, mine: str) -> str | None:
    """`mine` with each figure that changed from `was` to `fresh` replaced, in order: only when
    the change is in the figures alone (the same words around them: not 上升 become 下降) and
    each changed figure of `was` is found in `mine` by aligning their figures one to one;
    else None."""
    if _NUMBER.sub("#", was) != _NUMBER.sub("#", fresh):
        return None
    before, after = numbers(was), numbers(fresh)
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    if not changed:
        return None
    found = list(_NUMBER.finditer(mine))
    place = {}
    matcher = difflib.SequenceMatcher(None, before, [m.group() for m in found], autojunk=False)
    for i, j, size in matcher.get_matching_blocks():
        place |= {i + k: j + k for k in range(size)}
    if any(i not in place for i in changed):
        return None
    result = mine
    for i in sorted(changed, key=lambda i: place[i], reverse=True):
        match = found[place[i]]
        result = result[: match.start()] + after[i] + result[match.end() :]
    return result


def three_way(*, base: str, mine: str, theirs: str) -> Merged:
    """Apply base → theirs to mine, sentence by sentence (see the module's docstring)."""
    if mine == base:
        return Merged([theirs], [], theirs, whole=True)
    if theirs == base or theirs == mine:
        return Merged([mine], [], theirs, whole=True)
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
            mine_s, fresh_s = sentence.rstrip("\n"), fresh.rstrip("\n")
            out.append(len(conflicts))
            conflicts.append(
                Conflict(
                    mine_s,
                    fresh_s,
                    update_numbers(was=was.rstrip("\n"), fresh=fresh_s, mine=mine_s),
                    was.rstrip("\n"),
                    "\n" if sentence.endswith("\n") else "",
                    next((i for i, s in enumerate(new) if s is fresh), 0),
                )
            )
    # sentences the new draft adds (a kind of record the year did not have before)
    out += [s for s in new if s not in used and s.strip() not in {o.strip() for o in old} and s not in out]
    return Merged(out, conflicts, theirs)


def figures(text: str) -> list[str]:
    """The figures a text states, in order: its numbers but the years (2025年), which date a
    sentence and are not counted from the records."""
    return [m.group() for m in _NUMBER.finditer(text) if not _is_year(text, m)]


def _is_year(text: str, match) -> bool:
    return len(match.group()) == 4 and match.group().isdigit() and text[match.end() : match.end() + 1] == "年"


def stale_sentences(*, base: str, mine: str, theirs: str) -> list[tuple[str, str]]:
    """The sentences of the officer's text whose figures are not what a fresh draft says:
    (the officer's sentence, the fresh draft's sentence in its place).

    A sentence of the draft the text was based on (`base`) is out of date when the fresh draft
    (`theirs`) puts a sentence with other figures in its place, or says nothing at all (the
    records no longer give it: ""). It is found in the officer's text as the merge finds it (the
    same sentence, or the one the officer rewrote from it) and listed when that sentence still
    states figures other than the fresh ones; only the figures the two drafts state are compared,
    so one the officer added stays theirs, and a drafted sentence the officer deleted is not
    listed. A sentence the fresh draft says in place of none (its part was empty) that states
    figures is listed with "" for the officer's. Where the fresh draft says other things than
    the old one (a point of 三 gone, another come), nothing is compared: that is not a figure."""
    if base == theirs:
        return []
    dmp = diff_match_patch()
    old, new = sentences(base), sentences(theirs)
    counterpart = _counterparts(old, new, dmp)
    out_of_date = {o: n for o, n in counterpart.items() if n is not None and figures(o) != figures(n)}
    found = []
    for sentence in sentences(mine):
        was = sentence if sentence.strip() in counterpart else _closest(sentence, old, dmp)
        fresh = out_of_date.get(was.strip()) if was is not None else None
        if fresh is None:
            continue
        relevant = set(figures(was)) | set(figures(fresh))
        if [n for n in figures(sentence) if n in relevant] != figures(fresh):
            found.append((sentence.strip(), fresh.strip()))
    if not old:  # the part was empty: what the records now give, the text does not say
        said = {s.strip() for s in sentences(mine)}
        found += [("", s.strip()) for s in new if figures(s) and s.strip() not in said]
    return found


def _counterparts(old: list[str], new: list[str], dmp) -> dict[str, str | None]:
    """Each sentence of the old draft → the sentence of the new one in its place (as the merge
    pairs them, and resembling it), "" when the new draft says nothing, None when it says other
    things but none like this one."""
    if not new:
        return {o.strip(): "" for o in old}
    pairs = zip(old, new, strict=True) if len(old) == len(new) else ((o, _closest(o, new, dmp)) for o in old)
    return {o.strip(): n if n is not None and _resembles(o, n) else None for o, n in pairs}


def _resembles(a: str, b: str) -> bool:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() >= 0.5


def mark_numbers(sentence: str, other: str, tag: str) -> SafeString:
    """`sentence`, escaped, with the figures that `other` does not state wrapped in <tag>
    (all its figures when the two state the same ones in another order)."""
    mine, theirs = Counter(figures(sentence)), Counter(figures(other))
    extra = mine - theirs
    if not extra and figures(sentence) != figures(other):
        extra = mine
    parts, last = [], 0
    for match in _NUMBER.finditer(sentence):
        if extra[match.group()] > 0 and not _is_year(sentence, match):
            extra[match.group()] -= 1
            parts += [escape(sentence[last : match.start()]), f"<{tag}>{escape(match.group())}</{tag}>"]
            last = match.end()
    return mark_safe("".join(parts) + escape(sentence[last:]))  # noqa: S308 — every piece is escaped


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
