"""The words of a page of hits as the index analyzer makes them, and where the query's are.

Highlighting a page needs each text's distinct words (for the query's typo and prefix
rules) and the offsets of the words that matched. tantivy's analyzer makes a Python object
per word; on ASCII text the analyzer's words are runs of letters and digits, lowercased
(which keeps every offset), and runs of ``MAX_TOKEN`` characters or more are dropped
(never indexed). So the page's ASCII texts are joined, lowercased and every other character
turned into a space, once: the words are then what ``split`` gives, and a matched word's
occurrences are where ``" word "`` is, found by ``str.find`` without a regex or an object
per word. Texts with other characters (accents to fold) go through the analyzer.
"""

from __future__ import annotations

import bisect
import string
from collections.abc import Callable
from functools import partial
from operator import itemgetter
from typing import cast

from keel_search.adapters.embedded.generation import MAX_TOKEN, text_analyzer
from keel_search.domain.highlighting import QueryMatcher, Token

_ANALYZER = text_analyzer()
_WORD_CHARACTERS = string.ascii_lowercase + string.digits
# Every ASCII character but a letter or a digit becomes a space: one for one, offsets kept.
_SPACES = str.maketrans({chr(c): " " for c in range(128) if chr(c) not in _WORD_CHARACTERS})


class PageWords:
    """The words of ``texts``, each text as the index analyzer would split it."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self._ascii = [i for i, text in enumerate(texts) if text.isascii()]
        # " " + text + " " + text ... + " ": each text's words stay its own, and every whole
        # word has a space on both sides.
        joined = " ".join(texts[i] for i in self._ascii)
        self._spaced = f" {joined.lower().translate(_SPACES)} "
        self._starts = []
        offset = 1
        for i in self._ascii:
            self._starts.append(offset)
            offset += len(texts[i]) + 1

    def vocabulary(self) -> set[str]:
        """The distinct words the index made of all the texts."""
        words = set(self._spaced.split())
        if words and max(map(len, words)) >= MAX_TOKEN:
            words = {word for word in words if len(word) < MAX_TOKEN}
        if len(self._ascii) < len(self.texts):
            for text in self.texts:
                if not text.isascii():
                    words.update(analysed_vocabulary(text))
        return words

    def matched(self, matcher: QueryMatcher) -> set[str]:
        """The words of the texts the query matches: all ``marked`` needs. Without a typo
        to forgive, a word matches itself or, as a prefix, the words it starts: in the ASCII
        texts those are where ``" word"`` is, found by ``str.find`` without splitting every
        text into words (the other texts are matched one word at a time by ``marked``)."""
        if matcher.forgives_typos:
            return matcher.learn(self.vocabulary())
        spaced, found = self._spaced, set()
        for word, prefix in matcher.rules:
            if not prefix:
                if f" {word} " in spaced:
                    found.add(word)
                continue
            at = spaced.find(f" {word}")
            while at != -1:
                end = spaced.find(" ", at + 1)  # the closing space: there always is one
                if end - at - 1 < MAX_TOKEN:
                    found.add(spaced[at + 1 : end])
                at = spaced.find(f" {word}", end)
        return found

    def marked(self, matched: set[str], matcher: QueryMatcher) -> list[list[Token]]:
        """Per text, the words the query matches (``matched``: those of ``vocabulary()``
        that it does), with their offsets in the text, in the text's order."""
        marks: list[list[Token]] = [[] for _ in self.texts]
        spaced, starts, ascii_texts = self._spaced, self._starts, self._ascii
        for word in matched:
            if not word.isascii():
                continue  # only in texts the analyzer splits (below)
            needle, size = f" {word} ", len(word)
            at = spaced.find(needle)
            while at != -1:
                start = at + 1
                n = bisect.bisect_right(starts, start) - 1
                local = start - starts[n]
                marks[ascii_texts[n]].append(_new_token((word, local, local + size)))
                at = spaced.find(needle, start + size)  # its closing space opens the next
        if len(matched) > 1:  # one word's occurrences were found in order
            for found in marks:
                if len(found) > 1:
                    found.sort(key=_START)
        if len(ascii_texts) < len(self.texts):
            for i, text in enumerate(self.texts):
                if not text.isascii():
                    marks[i] = analysed_marks(text, matcher)
        return marks


# A Token made and read without a Python-level call each (``Token(...)`` runs the
# namedtuple's own ``__new__``): a page of hits makes and sorts a few hundred.
_new_token = cast(Callable[[tuple[str, int, int]], Token], partial(tuple.__new__, Token))
_START = itemgetter(1)  # Token.start


def analysed_vocabulary(text: str) -> set[str]:
    """The distinct words the index made of ``text``, by tantivy's analyzer."""
    return {t.text for t in _ANALYZER.pre_tokenize(text).tokens}


def analysed_marks(text: str, matcher: QueryMatcher) -> list[Token]:
    """The words of ``text`` that the query matches, by tantivy's analyzer."""
    return [
        Token(t.text, t.char_offset_from, t.char_offset_to)
        for t in _ANALYZER.pre_tokenize(text).tokens
        if matcher.matches(t.text)
    ]
