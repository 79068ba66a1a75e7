"""The kinds of feed failure, and the one place they are put into words for people.

The gatherer records a stable machine word per failure (`Feed.last_kind`, `FetchAttempt.kind`);
briefings, the command line and the feed list show the Korean label below, never an exception.
"""

from __future__ import annotations

import re

LABELS = {
    "connect": "연결 안 됨",
    "dns": "주소(DNS) 조회 실패",
    "timeout": "시간 초과",
    "parse_timeout": "처리 시간 초과",
    "protocol": "통신 오류",
    "private": "내부 주소라 차단",
    "bad_redirect": "잘못된 주소 이동",
    "redirect_loop": "주소 이동 순환",
    "too_many_redirects": "주소 이동이 너무 많음",
    "encoding": "압축 오류",
    "decompression_bomb": "압축 해제 크기 초과",
    "too_large": "피드가 너무 큼",
    "empty": "빈 응답",
    "entity": "피드 형식 오류",
    "malformed": "피드 형식 오류",
    "truncated": "피드가 중간에 끊김",
    "not_feed": "피드가 아님",
    "html": "피드 대신 웹페이지",
    "bad_items": "일부 항목 제외",
    "internal": "처리 오류",
}
UNKNOWN = "수집 실패"
_KIND_PREFIX = re.compile(r"\A\[([a-z_]+)\]")


def http_label(status: int) -> str:
    if status in (404, 410):
        return f"피드 주소 없음(HTTP {status})"
    if status in (401, 403):
        return f"접근 거부(HTTP {status})"
    if status == 429:
        return "요청 과다(HTTP 429)"
    if status >= 500:
        return f"서버 오류(HTTP {status})"
    return f"HTTP {status}"


def label(kind: str | None, status: int | None = None, error: str | None = None) -> str:
    """Plain Korean for one failure. Rows written before kinds were stored carry "[kind] …" in `error`."""
    if kind is None and error:
        match = _KIND_PREFIX.match(error)
        kind = match.group(1) if match else None
    if kind == "http" or (kind is None and status is not None and status >= 400):
        return http_label(status) if status is not None else "서버 오류"
    return LABELS.get(kind or "", UNKNOWN)


# Whole-cycle causes, said once instead of once per feed.
NETWORK_DOWN = "네트워크에 연결할 수 없습니다: 이 컴퓨터의 인터넷 연결을 확인하세요."
DNS_DOWN = "DNS 조회가 모두 실패했습니다: 인터넷 연결이나 DNS 설정을 확인하세요."


def common_cause(kinds: list[str | None]) -> str | None:
    """When every feed failed the same network way, the likely cause, in one line."""
    if not kinds:
        return None
    if all(kind == "dns" for kind in kinds):
        return DNS_DOWN
    if all(kind in ("dns", "connect") for kind in kinds):
        return NETWORK_DOWN
    return None
