"""Boilerplate stripping, exclusives and sentence splitting: plain functions on plain strings.

Outlets wrap every article in the same chrome (share buttons, copyright footers, reporter bylines,
promotion lines, photo credits). Left in, it pollutes company mentions ("뉴스1" is also a company
name), themes, keywords and near-duplicate detection (two unrelated articles of one outlet share
their footer), and it looks bad in a briefing. Gathered text usually arrives with its whitespace
collapsed, so every rule works inside a line as well as on whole lines.
"""

from __future__ import annotations

import re

from briefings.companies.records import nfc

# --- patterns ---------------------------------------------------------------------------------

_WS_CHARS = r"[ \t\u00a0\u200b\u3000]"
# A run of spacing characters other than one plain space (which is already what a run becomes):
# most of a text's spaces are single, and matching them would rebuild the string for nothing.
_WS = re.compile(rf" {_WS_CHARS}+|[\t\u00a0\u200b\u3000]{_WS_CHARS}*")
_BLANK_LINES = re.compile(r"\n\s*\n+")
_LINE_EDGES = re.compile(r"[^\S\n]*\n[^\S\n]*")

# A reporter's name: two to four syllables, sometimes several names ("이상헌 박경준 기자"). Name-first
# rules start with (?<![가-힣]) so the engine gives up at once inside words: bodies are long.
_NAME = r"(?<![가-힣])[가-힣]{2,4}"
_NAMES = rf"{_NAME}(?:(?:\s*[,·]\s*|\s+)[가-힣]{{2,4}}(?:\s*기자)?){{0,3}}"
_REPORTER = r"(?:인턴\s*)?(?:기자|특파원|통신원|객원기자|선임기자|논설위원|기자·PD|PD)"
# Some portals cut the domain off ("abilitykl@"), some the user ("@newsis.com").
_EMAIL = r"(?:[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)?|@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"

# Dateline bylines at the start of a story: "(서울=연합뉴스) 홍길동 기자 =", "[서울=뉴시스]홍길동 기자 =",
# "【평창=AP/뉴시스】오애리 기자 =", also with 특파원/기자·PD and without a name.
_DATELINE = re.compile(
    rf"[\[(【<][가-힣A-Za-z·\s]{{1,12}}=[가-힣A-Za-z0-9&·/\s]{{1,20}}[\])】>]\s*"
    rf"(?:{_NAMES}\s*{_REPORTER}\s*)?(?:=\s*)?"
)
# "홍길동 기자 =", "공동취재단 ,양은하 기자 =" without a dateline.
_BYLINE_EQ = re.compile(rf"(?:{_NAME}\s*,\s*)?{_NAMES}\s*{_REPORTER}\s*=\s*")
# "홍길동 기자 abc@x.com", "한승희 기자(rubyh@sbs.co.kr)", "/홍길동기자 abc@x.com".
_BYLINE_EMAIL = re.compile(rf"{_NAMES}\s*{_REPORTER}\s*[(\[]?\s*{_EMAIL}\s*[)\]]?")
# "abc@x.com 홍길동 기자" and bare addresses.
_EMAIL_BYLINE = re.compile(rf"{_EMAIL}(?:\s*{_NAMES}\s*{_REPORTER}(?![가-힣]))?")
# Bracketed bylines: "[ 김우섭 기자 ]", "[아시아경제 황진영 기자]", "[디지털뉴스국 엄하은 인턴기자]".
_BYLINE_BRACKET = re.compile(rf"[\[(]\s*(?:[가-힣A-Za-z]{{2,10}}\s+){{0,2}}{_NAMES}\s*{_REPORTER}\s*[\])]")
# "/강릉=권욱기자", "/서울=홍길동 기자".
_BYLINE_PLACE = re.compile(rf"/\s*[가-힣]{{1,6}}=\s*{_NAMES}\s*{_REPORTER}")
# A byline alone at the very end: "... 밝혔다. 홍길동 기자".
_BYLINE_TAIL = re.compile(rf"(?:(?<=[.!?다\s])|^)\s*/?{_NAMES}\s*{_REPORTER}\s*$")

# Copyright footers, from the marker to "금지" (plus "All rights reserved"). Each rule starts with a
# required marker so the regex engine can skip ahead quickly; brackets left empty are removed later.
# The lookahead names the characters a match can begin with: the engine then skips the other
# positions at once instead of trying each alternative there (three times faster on bodies).
_COPYRIGHT = re.compile(
    r"(?=[※저ⓒ©(c])(?:※\s*)?(?:저작권자|[ⓒ©]|\([cC]\)|Copyrights?)"
    r"[^\n]{0,80}?(?:무단\s*(?:전재|복제|배포)[^\n]{0,30}?금지|All rights reserved\.?)"
    r"(?:\s*Copyright[^\n]{0,60}?All rights reserved\.?)?",
    re.IGNORECASE,
)
# Copyright line without a "금지" (e.g. "Copyright(c) Since 1996, MBC&iMBC All rights reserved").
_RIGHTS = re.compile(r"Copyrights?[^\n]{0,80}?All rights reserved\.?", re.IGNORECASE)
# "무단 전재 및 재배포 금지" standing alone (the outlet name came before it, already on its own).
_NO_REPRINT = re.compile(r"무단\s*(?:전재|복제)[^\n]{0,20}?금지")
# "© News1 서근영 기자", "ⓒ 뉴시스" photo credits.
_PHOTO_COPYRIGHT = re.compile(rf"[ⓒ©]\s*[A-Za-z0-9가-힣]{{2,12}}(?:\s+{_NAMES}\s*{_REPORTER})?")

# Photo credits: "(사진=연합뉴스)", "[사진=연합뉴스]", "/사진=뉴스1", "사진 제공=삼성전자", "<사진=...>".
_PHOTO_BRACKETED = re.compile(
    r"[\[(<]\s*(?:사진|그래픽|자료|영상|이미지|출처|자료사진|사진출처)\s*(?:제공)?\s*[=:][^\])>\n]{0,40}[\])>]"
)
# The lookahead of the characters a match begins with, as in `_COPYRIGHT`.
_PHOTO_BARE = re.compile(
    r"(?=[/사그이])/?(?:사진|그래픽|이미지)\s*(?:제공)?\s*=\s*[A-Za-z0-9가-힣&·./]{2,20}"
    r"(?:\s+(?:제공|인스타그램|홈페이지|캡처|캡쳐))?"
)
_PHOTO_AGENCY = re.compile(
    r"[\[(]\s*(?:AP|AFP|EPA|로이터|UPI|신화|교도|AFP=연합뉴스|EPA=연합뉴스)[^\])\n]{0,20}[\])]"
)

# Promotion lines: "▶ 네이버메인에 ‘뉴스1채널’ 설정하기!", "▶YTN과 친구가 되어주세요", "☞ [다시 뜨겁게! ...]".
# Up to a typical call-to-action ending, else up to the next arrow, bracket, wide gap or line end.
_ARROW_PROMO = re.compile(
    r"[▶☞▷►][^▶☞▷►\n]{0,40}(?:하기|주세요|보기|받기|가기|구독|채널)!?"
    r"|[▶☞▷►][^▶☞▷►\n.]{0,60}?(?=[▶☞▷►\[]|\s{2,}|$|(?<=[!?])|\n)"
)
_EMPTY_BRACKETS = re.compile(r"[\[<(【]\s*[\]>)】]")
_BRACKET_PROMO = re.compile(
    r"\[[^\[\]\n]{0,30}(?:바로가기|구독신청|구독하기|글방|제보하기|이벤트|앱 다운|다운로드)[^\[\]\n]{0,10}\]"
)
_RELATED = re.compile(r"(?:[▶■]\s*|\[)관련\s*기사\s*\]?")
_REPORTING_LINES = re.compile(
    r"(?:기사\s*제보\s*및\s*문의|여러분의 제보를 기다립니다\.?|제보하기!?|기사제공\s+[가-힣A-Za-z0-9]{2,10})"
)

# Outlet chrome that trafilatura or a teaser sometimes keeps: the buttons around an article.
_CHROME_WORDS = (
    "글자크기",
    "글자 크기",
    "기사 스크랩",
    "기사스크랩",
    "스크랩",
    "공유하기",
    "공유",
    "프린트",
    "인쇄",
    "좋아요",
    "싫어요",
    "댓글",
    "url복사",
    "URL 복사",
    "카카오톡",
    "페이스북",
    "트위터",
    "기사 저장",
    "닫기",
    "가",
    "본문 글씨 키우기",
    "본문 글씨 줄이기",
    "음성으로 듣기",
    "번역",
    "구독",
    "뉴스듣기",
    "크게",
    "작게",
)
_CHROME_SET = frozenset(w.lower() for w in _CHROME_WORDS)
# Words that only ever appear as buttons; an inline run of three of them is chrome, never prose.
_BUTTON_WORDS = (
    "글자크기",
    "글자 크기",
    "기사 스크랩",
    "기사스크랩",
    "스크랩",
    "공유하기",
    "공유",
    "프린트",
    "인쇄",
    "좋아요",
    "싫어요",
    "댓글",
    "URL 복사",
    "url복사",
    "닫기",
    "뉴스듣기",
)
_CHROME_TOKEN = "(?:" + "|".join(re.escape(w) for w in sorted(_BUTTON_WORDS, key=len, reverse=True)) + ")"
# Three or more chrome words in a row (inline "글자크기 기사 스크랩 공유 프린트"); the lookahead of
# their first characters lets the engine skip other positions at once (as in `_COPYRIGHT`).
_CHROME_FIRST = "".join(sorted({re.escape(w[0]) for w in _BUTTON_WORDS}))
_CHROME_RUN = re.compile(rf"(?=[{_CHROME_FIRST}])(?:{_CHROME_TOKEN}\s*(?:\d+\s*)?){{3,}}")

_TITLE_TAG = re.compile(r"^\s*(?:[\[【<(](?:[^\]】>)]{1,12})[\]】>)]\s*)+")
_EXCLUSIVE = re.compile(r"[\[【<(]\s*(?:단독|독점|exclusive)\s*[\]】>)]|^\s*단독\s*[:|]", re.IGNORECASE)

_SENTENCE_END = re.compile(r"(?<=[.!?。…])\s+|(?<=[다요죠])\s{2,}|(?<=다\.)(?=[가-힣\"'“‘(\[])|\n+")


# --- public functions -------------------------------------------------------------------------


def normalize_space(text: str) -> str:
    """One space between words, at most one blank line between paragraphs."""
    # Spaces are folded over the whole text at once (`_WS` never spans a newline), and each line is
    # stripped by taking the whitespace around its newlines (`\s` is what str.strip takes): one
    # regex pass each rather than two per line.
    joined = _WS.sub(" ", text.replace("\r", "\n"))
    if "\n" in joined:
        joined = _LINE_EDGES.sub("\n", joined)
    # Lines are stripped, so a blank line is two newlines in a row; most texts have none.
    return (_BLANK_LINES.sub("\n\n", joined) if "\n\n" in joined else joined).strip()


def _is_chrome_line(line: str) -> bool:
    # The first word decides most lines (a body often comes as one long line): read it alone first.
    first = line.split(None, 1)[:1]
    if not first or not (first[0].lower() in _CHROME_SET or first[0].lower().isdigit()):
        return False
    return all(w in _CHROME_SET or w.isdigit() for w in line.lower().split())


# Each rule with the characters one of which any match must contain: a rule whose markers are absent
# from a text is skipped without scanning it (most bodies carry only a few kinds of chrome).
_INLINE_RULES: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (_COPYRIGHT, ("저작권", "ⓒ", "©", "(c)", "(C)", "opyright", "OPYRIGHT")),
    (_RIGHTS, ("opyright", "OPYRIGHT")),
    (_NO_REPRINT, ("무단",)),
    (_DATELINE, ("=",)),
    (_EMAIL_BYLINE, ("@",)),
    (_BYLINE_BRACKET, ("기자", "특파원", "통신원", "논설위원", "PD")),
    (_BYLINE_PLACE, ("=",)),
    (_PHOTO_BRACKETED, ("사진", "그래픽", "자료", "영상", "이미지", "출처")),
    (_PHOTO_AGENCY, ("AP", "AFP", "EPA", "로이터", "UPI", "신화", "교도")),
    (_PHOTO_BARE, ("=",)),
    (_PHOTO_COPYRIGHT, ("ⓒ", "©")),
    (_BRACKET_PROMO, ("[",)),
    (_REPORTING_LINES, ("제보", "기사제공")),
    (_ARROW_PROMO, ("▶", "☞", "▷", "►")),
    (
        _CHROME_RUN,
        (
            "스크랩",
            "공유",
            "프린트",
            "인쇄",
            "좋아요",
            "싫어요",
            "댓글",
            "글자",
            "URL",
            "url",
            "닫기",
            "뉴스듣기",
        ),
    ),
)


def _apply_rules(text: str) -> str:
    for rule, markers in _INLINE_RULES:
        for marker in markers:  # a plain loop: a generator per rule costs more than the look-ups
            if marker in text:
                text = rule.sub(" ", text)
                break
    return text


# Rules that begin with a reporter's name are run only near a reporter word: tried at every position
# of a long body they would cost more than the morphological analysis itself.
# Each with the character every match of it contains.
_NAME_FIRST_RULES: tuple[tuple[re.Pattern[str], str], ...] = ((_BYLINE_EQ, "="), (_BYLINE_EMAIL, "@"))
_REPORTER_WORD = re.compile(r"기자|특파원|통신원|논설위원|PD")


def _sub_near_reporter_words(text: str) -> str:
    spans: list[list[int]] = []
    for m in _REPORTER_WORD.finditer(text):
        start, end = max(0, m.start() - 40), min(len(text), m.end() + 80)
        if spans and start <= spans[-1][1]:
            spans[-1][1] = end
        else:
            spans.append([start, end])
    if not spans:
        return text
    out: list[str] = []
    pos = 0
    for start, end in spans:
        # Start the window at a word boundary so a name is never cut in half.
        while start > pos and not text[start - 1].isspace() and start > spans[0][0] - 10:
            start -= 1
        out.append(text[pos:start])
        window = text[start:end]
        for rule, marker in _NAME_FIRST_RULES:
            if marker in window:  # every match holds its marker
                window = rule.sub(" ", window)
        out.append(window)
        pos = end
    out.append(text[pos:])
    return "".join(out)


# The digester reads at most this much of a headline.
MAX_TITLE_CHARS = 1_000


def analysed_title(title: str) -> str:
    """A headline as the digester hands it to the analyser: composed Hangul, cut, stripped."""
    return nfc(title[:MAX_TITLE_CHARS]).strip()


def analysed_body(body: str, max_chars: int | None = None) -> str:
    """A body as the digester hands it to the analyser: composed Hangul, cut, without chrome."""
    return strip_boilerplate(nfc(body if max_chars is None else body[:max_chars]))


def strip_boilerplate(text: str) -> str:
    """The article text without outlet chrome, copyright lines, bylines, e-mails and photo credits.

    Rules are anchored on markers (ⓒ, 무단 전재, 기자 =, e-mail addresses, 사진=) rather than
    positions, so they work the same on a full body, on a feed teaser and on text whose lines were
    joined. What remains is meant for both analysis and display.
    """
    if not text:
        return ""
    kept = [line for line in text.replace("\r", "\n").split("\n") if not _is_chrome_line(line)]
    out = "\n".join(kept)
    out = _sub_near_reporter_words(out)
    out = _apply_rules(out)
    if "관련" in out:
        out = _RELATED.sub(" ", out)
    out = _EMPTY_BRACKETS.sub(" ", out)
    out = normalize_space(out)
    # The closing byline is looked for in the tail only: a regex anchored at $ still scans everything.
    head, tail = out[:-60], out[-60:]
    tail, cut = _BYLINE_TAIL.subn("", tail)
    # Normalised text is normalised again unchanged: only a cut byline needs another pass.
    return normalize_space(head + tail) if cut else out


def is_exclusive(title: str) -> bool:
    """A scoop is marked in the headline: "[단독]", "<단독>", "【단독】", "단독:"."""
    return bool(_EXCLUSIVE.search(title))


def clean_title(title: str) -> str:
    """The headline without leading tags ([단독], [속보], [종합2보], [포토]): for comparing headlines."""
    return normalize_space(_TITLE_TAG.sub("", title)) or normalize_space(title)


def split_sentences(text: str) -> list[str]:
    """Sentences of Korean news copy: after . ! ? …, after a final 다 followed by a wide gap, at newlines."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def lead(text: str, *, sentences: int = 2, max_chars: int = 400) -> str:
    """The opening of an article (its first sentences), where the subject of a news story is named."""
    parts = split_sentences(text)[:sentences]
    out = " ".join(parts)
    return out[:max_chars]
