"""Interview answers against a rubric: which points an answer makes, and the words that show it.

The matching is deliberately transparent, so a learner can see exactly why a point counted:

* text is compared case- and punctuation-insensitively ("Active-Passive" is "active passive");
* words are reduced by a small stemmer ("distributing", "distributed", "distributes" are one word);
* a term matches when its words appear in the answer in the same order; the last word of a term
  may be the start of a longer answer word ("redundan" matches "redundancy" and "redundant");
* a few abbreviations count as what they stand for ("lb" is "load balancer", "rr" "round robin").

A rubric point is covered when any of its terms (its synonyms) matches. Nothing is weighted or
hidden: `Coverage.points` lists every point with the term that matched and the learner's words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lbtutor.content.interview import InterviewPrompt, RubricPoint

# Abbreviations a candidate says out loud, and what they stand for. An answer's abbreviation is
# matched as if the learner had written the long form (never the other way round).
ABBREVIATIONS: dict[str, str] = {
    "lb": "load balancer",
    "lbs": "load balancers",
    "rr": "round robin",
    "wrr": "weighted round robin",
    "lc": "least connections",
    "wlc": "weighted least connections",
    "db": "database",
    "dbs": "databases",
    "api gw": "api gateway",
    "hc": "health check",
    "ttl": "time to live",
    "spof": "single point of failure",
    "asg": "auto scaling group",
}

_WORD = re.compile(r"[a-z0-9]+")
MIN_PREFIX = 4  # a term's last word shorter than this must match a whole word


def words(text: str) -> list[str]:
    """Lower-case words of `text`: every run of other characters than a-z and 0-9 separates."""
    return _WORD.findall(text.lower())


def stem(word: str) -> str:
    """A small, predictable stemmer: plural, -ing, -ed and a final -e come off.

    "servers" -> "server", "queues" -> "queu", "queued" -> "queu", "caching" -> "cach",
    "caches" -> "cach", "policies" -> "polic", "scaling" -> "scal", "scale" -> "scal".
    """
    w = word
    if len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "i"
    elif len(w) > 5 and w.endswith("ing") and _has_vowel(w[:-3]):
        w = w[:-3]
    elif len(w) > 4 and (_past(w) or w.endswith(("ches", "shes", "sses", "xes"))):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if len(w) > 4 and w.endswith("e"):
        w = w[:-1]
    if w.endswith("y") and len(w) > 4:
        w = w[:-1] + "i"
    return w


def _past(w: str) -> bool:
    """-ed that is an ending ("queued", "routed"), not part of the word ("speed", "shed")."""
    return w.endswith("ed") and _has_vowel(w[:-2]) and not w.endswith("eed")


def _has_vowel(text: str) -> bool:
    return any(c in "aeiouy" for c in text)


@dataclass(frozen=True)
class PointResult:
    point: RubricPoint
    term: str | None  # the first of the point's terms found in the answer, None if none was
    evidence: str  # the learner's own words that matched it ("" if none)

    @property
    def covered(self) -> bool:
        return self.term is not None


@dataclass(frozen=True)
class Coverage:
    points: tuple[PointResult, ...]

    @property
    def covered(self) -> int:
        return sum(p.covered for p in self.points)

    @property
    def total(self) -> int:
        return len(self.points)

    @property
    def fraction(self) -> float:
        return self.covered / self.total if self.total else 0.0

    def suggested_rating(self) -> str:
        """A starting point for the self-rating (the learner decides): again/hard/good/easy."""
        if self.fraction >= 0.9:
            return "easy"
        if self.fraction >= 0.6:
            return "good"
        if self.fraction >= 0.3:
            return "hard"
        return "again"


class _Prepared:
    """An answer prepared for matching: its stemmed words, with abbreviations expanded, and where
    each came from in the original text (to quote the learner's words back)."""

    def __init__(self, text: str, expand: bool = True) -> None:
        self.text = text
        spans = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text.lower())]
        self.stems: list[str] = []
        self.origin: list[tuple[int, int]] = []  # character span in `text` of each stem
        expansions = sorted(((words(k), words(v)) for k, v in ABBREVIATIONS.items()), key=lambda kv: -len(kv[0]))
        if not expand:
            expansions = []
        i = 0
        while i < len(spans):
            for short, long in expansions:
                if [s[2] for s in spans[i:i + len(short)]] == short:
                    span = (spans[i][0], spans[i + len(short) - 1][1])
                    self.stems.extend(stem(w) for w in long)
                    self.origin.extend([span] * len(long))
                    i += len(short)
                    break
            else:
                self.stems.append(stem(spans[i][2]))
                self.origin.append((spans[i][0], spans[i][1]))
                i += 1

    def find(self, term: str) -> str | None:
        """The learner's words that match `term`, or None."""
        wanted = [stem(w) for w in words(term)]
        if not wanted:
            return None
        n = len(wanted)
        last = wanted[-1]
        for i in range(len(self.stems) - n + 1):
            if self.stems[i:i + n - 1] != wanted[:-1]:
                continue
            got = self.stems[i + n - 1]
            if got == last or (len(last) >= MIN_PREFIX and got.startswith(last)):
                start, end = self.origin[i][0], self.origin[i + n - 1][1]
                return self.text[start:end]
        return None


class _Answer:
    """An answer as written and with its abbreviations spelled out: a term may match either."""

    def __init__(self, text: str) -> None:
        self.forms = (_Prepared(text, expand=False), _Prepared(text, expand=True))

    def find(self, term: str) -> str | None:
        for form in self.forms:
            found = form.find(term)
            if found is not None:
                return found
        return None


def match_points(points: Sequence[RubricPoint], answer: str) -> Coverage:
    """Which rubric points `answer` covers, and the term and words that show each."""
    prepared = _Answer(answer)
    results = []
    for point in points:
        term = evidence = None
        for candidate in point.terms:
            evidence = prepared.find(candidate)
            if evidence is not None:
                term = candidate
                break
        results.append(PointResult(point, term, evidence or ""))
    return Coverage(tuple(results))


def match(prompt: InterviewPrompt, answer: str) -> Coverage:
    return match_points(prompt.points, answer)


def matches_term(answer: str, term: str) -> bool:
    return _Answer(answer).find(term) is not None


def terms_found(answer: str, terms: Iterable[str]) -> list[str]:
    prepared = _Answer(answer)
    return [t for t in terms if prepared.find(t) is not None]
