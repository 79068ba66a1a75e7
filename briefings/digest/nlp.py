"""Korean morphological analysis with Kiwi: the only module that imports kiwipiepy.

Kiwi takes seconds and hundreds of megabytes to load, so one analyser is shared by the whole process
(`get_nlp()`), and texts are analysed in batches, which Kiwi spreads over its worker threads.

Morphemes are Kiwi's own token objects, typed here as the `Morph` protocol (form, tag, start, len;
start and len are character offsets into the analysed string). Copying every token into a Python
object cost about 5 % of Kiwi's own time in our measurements, which the digester's speed budget
cannot spare; `SimpleMorph` is a plain value with the same shape for tests and hand-made input.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Generator, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from kiwipiepy import Kiwi

# Texts per Kiwi call: large enough to keep its worker threads busy, small enough not to hold the
# analyser for long (see KoreanNLP.tokenize).
BATCH = 64
# Tags whose morphemes carry a text's subject matter: nouns, foreign words, hanja, numbers-as-names.
NOUN_TAGS = frozenset({"NNG", "NNP", "SL", "SH"})


class Morph(Protocol):
    """What the digester reads from a morpheme (Kiwi's `Token` satisfies it)."""

    @property
    def form(self) -> str: ...
    @property
    def tag(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def len(self) -> int: ...


class Tokenizer(Protocol):
    """What searching needs from the analyser (`KoreanNLP` satisfies it)."""

    def tokenize(self, texts: Sequence[str]) -> Sequence[Sequence[Morph]]: ...


@dataclass(frozen=True, slots=True)
class SimpleMorph:
    """A morpheme built by hand (tests, pre-analysed input); interchangeable with Kiwi's tokens."""

    form: str
    tag: str
    start: int
    len: int


class MorphColumns:
    """A text's morphemes field by field (forms, tags, starts, ends), each field read once.

    Kiwi makes a new Python object on every read of a token's field (70-200 ns each), and the
    digester reads the same morphemes in several passes (terms, companies, lead sentences): they
    read these lists instead. Cheaper than copying each token into a tuple of its own.
    """

    __slots__ = ("ends", "forms", "starts", "tags")

    def __init__(self, morphs: Sequence[Morph]) -> None:
        # One comprehension per field: cheaper than one loop appending to four lists.
        self.forms: list[str] = [m.form for m in morphs]
        self.tags: list[str] = [m.tag for m in morphs]
        self.starts: list[int] = [m.start for m in morphs]
        self.ends: list[int] = [s + n for s, n in zip(self.starts, [m.len for m in morphs], strict=True)]


class Morphs(list[Morph]):
    """One analysed text's morphemes, which keeps its `MorphColumns` once they have been read."""

    __slots__ = ("_columns",)

    def __init__(self, morphs: Iterable[Morph] = ()) -> None:
        super().__init__(morphs)
        self._columns: MorphColumns | None = None


def columns(morphs: Sequence[Morph]) -> MorphColumns:
    """The fields of a text's morphemes: read once per analysed text (`Morphs`), else read now."""
    if isinstance(morphs, Morphs):
        cols = morphs._columns
        if cols is None:
            cols = morphs._columns = MorphColumns(morphs)
        return cols
    return MorphColumns(morphs)


def _default_workers() -> int:
    # Kiwi's batch mode scales with cores; the service shares a small machine, so stay within it.
    return max(1, min(4, os.cpu_count() or 1))


class KoreanNLP:
    """One Kiwi analyser with a user dictionary that can grow while the process runs.

    Adding a user word makes Kiwi rebuild its internal state on the next analysis, which must not
    happen while another thread is analysing; a lock serialises analyses and dictionary changes.
    """

    def __init__(self, kiwi: Kiwi | None = None, *, num_workers: int | None = None) -> None:
        if kiwi is None:
            from kiwipiepy import Kiwi

            kiwi = Kiwi(num_workers=num_workers if num_workers is not None else _default_workers())
        self._kiwi = kiwi
        self._lock = threading.RLock()
        self._user_words: set[tuple[str, str]] = set()
        self._build()

    def _build(self) -> None:
        """Have Kiwi build its model now (1-2 s): it does so on the first analysis after it is made
        and after each change of its user dictionary, and that analysis would otherwise be a reader's
        (a `/news` answer two seconds late)."""
        with self._lock:
            self._kiwi.tokenize("준비")

    @property
    def kiwi(self) -> Kiwi:
        """The underlying analyser, for callers that need a Kiwi feature not wrapped here."""
        return self._kiwi

    def tokenize(self, texts: Sequence[str]) -> list[list[Morph]]:
        """Analyse many texts in batches (much faster than one call per text).

        The lock is taken per batch of `BATCH` texts, so a short request from another thread (a
        `/news` query) waits for one batch, not for a whole digest run.
        """
        out: list[list[Morph]] = []
        for i in range(0, len(texts), BATCH):
            chunk = list(texts[i : i + BATCH])
            with self._lock:
                out.extend(Morphs(tokens) for tokens in self._kiwi.tokenize(chunk))
        return out

    def tokenize_iter(self, texts: Sequence[str]) -> Generator[list[Morph], None, None]:
        """Like `tokenize`, but yields each text's morphemes as soon as Kiwi has them.

        Kiwi's threads keep analysing the next texts while the caller works on this one, so work
        done per text between iterations costs (almost) no extra time. The analyser's lock is held
        until the iterator is exhausted or closed.
        """
        if not texts:
            return
        with self._lock:
            for tokens in self._kiwi.tokenize(list(texts)):
                yield Morphs(tokens)

    def tokenize_one(self, text: str) -> list[Morph]:
        with self._lock:
            return Morphs(self._kiwi.tokenize(text))

    def add_user_words(self, words: Iterable[tuple[str, str, float]]) -> int:
        """Put words (form, tag, score) into Kiwi's user dictionary; returns how many were new.

        Idempotent: a word already added (by this process) is skipped, so callers may pass the
        whole registry again after an operator adds one alias.
        """
        added = 0
        with self._lock:
            for form, tag, score in words:
                form = form.strip()
                if not form or (form, tag) in self._user_words:
                    continue
                self._user_words.add((form, tag))
                if self._kiwi.add_user_word(form, tag, score):
                    added += 1
            if added:
                self._build()
        return added

    def has_user_word(self, form: str, tag: str = "NNP") -> bool:
        return (form, tag) in self._user_words


def nouns(morphs: Iterable[Morph]) -> list[str]:
    """The noun-like forms of an analysed text, in order (common and proper nouns, foreign words, hanja)."""
    return [m.form for m in morphs if m.tag in NOUN_TAGS]


_nlp: KoreanNLP | None = None
_nlp_lock = threading.Lock()


def get_nlp() -> KoreanNLP:
    """The process-wide analyser, loaded on first use (a few seconds, once)."""
    global _nlp
    if _nlp is None:
        with _nlp_lock:
            if _nlp is None:
                _nlp = KoreanNLP()
    return _nlp
