from __future__ import annotations

import pytest

from briefings.digest.keywords import Background, keywords, weighted_nouns
from briefings.digest.nlp import KoreanNLP, SimpleMorph
from briefings.digest.themes import Taxonomy, default_taxonomy, score_themes

pytestmark = pytest.mark.kiwi

REQUIRED = {
    "ai",
    "aiot",
    "semiconductor",
    "telecom",
    "cloud",
    "sanctions",
    "investment",
    "earnings",
    "alliance",
    "mna",
    "people",
    "litigation",
    "launch",
    "security",
}


def themes_of(nlp: KoreanNLP, title: str, body: str = "") -> list[str]:
    tm, bm = nlp.tokenize([title, body])
    return [slug for slug, _ in score_themes(bm, tm)]


def test_taxonomy_has_every_required_theme_with_a_korean_label() -> None:
    tax = default_taxonomy()
    assert set(tax.labels) >= REQUIRED
    assert tax.labels["sanctions"] == "제재·규제"
    assert tax.labels["investment"] == "투자·IPO"
    assert all(t.lexicon for t in tax.themes)


@pytest.mark.parametrize(
    ("title", "body", "expected"),
    [
        ("화웨이 한국 기업 3곳과 5G 생태계 관련 MOU 체결", "", {"alliance", "telecom"}),
        ("KT, 한국관광공사와 업무협약 체결", "", {"alliance"}),
        ("이통 3사 합종연횡 본격화", "", {"alliance", "telecom"}),
        (
            "美 상무부, 메그비·센스타임 엔티티 리스트에 추가",
            "미국 정부가 중국 인공지능 기업들을 수출통제 블랙리스트에 "
            "올렸다. 제재 대상 기업은 미국산 부품을 살 수 없다.",
            {"sanctions"},
        ),
        ("카카오뱅크, 기업가치 20조원 인정받으며 상장 추진", "", {"investment"}),
        ("카카오 해외서 10억 달러 투자 유치 성공", "", {"investment"}),
        ("SK하이닉스 3분기 영업이익 7천억…실적 개선", "", {"earnings"}),
        ("카카오, 카카오M 흡수합병", "", {"mna"}),
        ("LG전자 새 CEO에 조주완 사장 선임", "", {"people"}),
        ("애플 상대 국내 첫 집단소송 제기", "", {"litigation"}),
        ("삼성전자, 폴더블 신제품 출시", "", {"launch"}),
        ("KT엠하우스, 개인정보보호 관리체계 인증", "", {"security"}),
        ("랜섬웨어 해킹으로 고객 정보 유출", "", {"security"}),
        ("SK텔레콤, 스마트홈 IoT 플랫폼 확대", "", {"aiot"}),
        ("LG유플러스 기업용 클라우드 서비스 출시", "", {"cloud", "launch"}),
        ("삼성전자 파운드리 3나노 반도체 양산", "", {"semiconductor"}),
        ("네이버, 초거대 인공지능 하이퍼클로바 공개", "", {"ai"}),
    ],
)
def test_articles_get_the_themes_their_words_say(
    nlp: KoreanNLP, title: str, body: str, expected: set[str]
) -> None:
    assert expected <= set(themes_of(nlp, title, body))


@pytest.mark.parametrize(
    "title",
    [
        "제임스 버저비터…클리블랜드, 토론토 상대 PO 9연승",
        "미토콘드리아 DNA 돌연변이 없애는 효소 단백질 발견",
        "여름철 애플망고 빙수 인기",
    ],
)
def test_unrelated_articles_get_no_theme(nlp: KoreanNLP, title: str) -> None:
    assert themes_of(nlp, title) == []


def test_a_passing_word_in_a_long_body_does_not_make_a_theme(nlp: KoreanNLP) -> None:
    body = (
        "서울 시내 한 식당가가 점심시간 손님으로 붐볐다. 물가가 "
        "오르면서 직장인들의 점심값 부담이 커지고 있다. "
        "한 직장인은 배달 앱 대신 도시락을 싸 온다고 말했다. 식당 주인들은 재료비가 올라 가격을 올릴 수밖에 "
        "없다고 했다. 일부 식당은 키오스크를 들여 인건비를 줄이고 "
        "있다. 키오스크에는 인공지능 음성 안내도 있다."
    )
    assert "ai" not in themes_of(nlp, "점심값 부담 커진 직장인들", body)


def test_phrases_match_whether_kiwi_splits_them_or_not() -> None:
    tax = Taxonomy.from_data(
        {
            "threshold": 1.0,
            "body_factor": 1.0,
            "themes": [{"slug": "x", "label": "엑스", "lexicon": {"업무 협약": 1.0}}],
        }
    )
    split = [SimpleMorph("업무", "NNG", 0, 2), SimpleMorph("협약", "NNG", 2, 2)]
    whole = [SimpleMorph("업무협약", "NNG", 0, 4)]
    apart = [SimpleMorph("업무", "NNG", 0, 2), SimpleMorph("협약", "NNG", 10, 2)]
    assert tax.score(split) == [("x", 1.0)]
    assert tax.score(whole) == [("x", 1.0)]
    assert tax.score(apart) == []


def test_headline_words_count_more_than_body_words() -> None:
    tax = Taxonomy.from_data(
        {
            "threshold": 2.0,
            "title_factor": 2.0,
            "themes": [{"slug": "x", "label": "엑스", "lexicon": {"제재": 1.0}}],
        }
    )
    word = [SimpleMorph("제재", "NNG", 0, 2)]
    assert tax.score(word) == []
    assert tax.score([], word) == [("x", 2.0)]


def test_keywords_are_the_nouns_that_stand_out(nlp: KoreanNLP) -> None:
    background = Background()
    routine = [
        ("정부, 경제 정책 발표", "정부가 경제 정책 방향을 발표했다. 기업 지원과 투자 확대가 핵심이다."),
        ("기업 투자 확대", "국내 기업들이 투자를 확대한다. 정부 지원도 늘어난다."),
        ("시장 전망", "증권 시장 전망이 엇갈린다. 기업 실적과 투자 심리가 변수다."),
    ]
    for title, body in routine:
        tm, bm = nlp.tokenize([title, body])
        background.add(weighted_nouns(tm, bm))
    tm, bm = nlp.tokenize(
        [
            "中 창정5B 로켓 잔해 추락",
            "중국 우주발사체 창정5B호 로켓 잔해가 필리핀 바다로 추락했다. 정부는 경제 영향이 없다고 밝혔다.",
        ]
    )
    found = keywords(bm, 5, title_morphs=tm, background=background)
    assert len(found) == 5
    assert "잔해" in found and "로켓" in found
    assert "정부" not in found and "경제" not in found
    assert keywords([], 3) == []


# Headlines of the 2026-02 RSS items (tuning days of bench/devset): the context a bare word list lacks.
@pytest.mark.parametrize(
    ("title", "theme", "expected"),
    [
        # who acts: a district's 협약 is local policy; two companies' 맞손 is an alliance
        ("서초구, SGC문화재단과 ‘문화예술 나눔 협약’", "alliance", False),
        ("한화에어로스페이스·KAI, KF-21·FA-50 항공무장 국산화 맞손", "alliance", True),
        # blockers near the word: 협력 between vice-ministers is diplomacy, a new song is no product
        ("이호현 기후차관, 伊 차관과 에너지 전환·공급망 협력 등 논의", "alliance", False),
        ("볼보, ‘케데헌’ 이재와 협업 신곡 공개", "launch", False),
        ("삼성전자, 폴더블 신제품 공개", "launch", True),
        # another sense, read off the next morpheme: 인사하다 is to greet
        ("창덕궁서 자율순찰 로봇 ‘순라봇’ 만나면 인사할까", "people", False),
        ("LG전자 새 CEO에 조주완 사장 선임", "people", True),
        # negation in the same clause
        ("카카오게임즈, 올해 신작 출시 안 한다", "launch", False),
        ("카카오게임즈, 올해 신작 출시", "launch", True),
        # other days' items (theme_items.jsonl): a substitute player, houses sold, a resignation letter
        ("‘이강인 교체 출전’ PSG, 렌에 3대1 패배...리그 선두 자리 ‘흔들’", "people", False),
        ("‘집만 네 채’ 한성숙 장관, 종로 집 1채만 남기고 모두 매각 中", "mna", False),
        ("삼성SDI, 삼성D 지분 매각 추진", "mna", True),
        ("사직서 낸 '충주맨' 김선태 과거 발언 소환…\"순장 위기\" 왜?", "people", True),
        ("포스코홀딩스, 정석모 본부장 사내이사 후보 추천", "people", True),
        # a share's target price raised is a broker's earnings call; an index's target (목표치) is not
        ('삼성證 "KT, 이익 체력 개선·주주환원 지속에 목표가↑"', "earnings", True),
        ('"코스피 7250까지 간다"…한국투자증권, 목표치 상향', "earnings", False),
        # chips and AI named at a ministers' meeting are diplomacy, not the industry's news
        ('한-네덜란드 고위급회의 "반도체 공급망, AI 협력 심화"', "semiconductor", False),
        ("삼성전자 파운드리 3나노 반도체 양산", "semiconductor", True),
        # a market wrap names sectors as movers, not as its subject
        ("반도체 넘어 순환매 불장…코스피 사상 최고", "semiconductor", False),
        ("삼성전자, 차세대 HBM 반도체 양산", "semiconductor", True),
        # a deal with a district (the party named with 과, or a "시-" pair) is policy
        ("SGC문화재단, 서초구청과 문화예술 나눔 업무협약 체결", "alliance", False),
        ("고양시-고양동부새마을금고, '출생축하 아기통장' 지원 업무협약", "alliance", False),
        ("파리바게뜨, LG전자와 업무협약 체결", "alliance", True),
        # an open question is no launch
        ("李대통령, 장동혁에 공개 질의", "launch", False),
        ("삼성전자, 갤럭시 신제품 공개", "launch", True),
        # a defence minister's partnership is diplomacy
        ('국방장관, WDS 현장서 "사우디 안보 핵심과 손잡고…"', "alliance", False),
        ("한화에어로스페이스, KAI와 손잡고 수출 공략", "alliance", True),
        # a figure (인사) running for office is no personnel move
        ("'서부의 맘다니?'…LA도 반트럼프 인사 시장 출마, 인도계 니티야 라만", "people", False),
        ("장민영 기업은행장 공식 취임", "people", True),
        # an index fund's stake (a pair blocked like a word) is no takeover
        ("블랙록도 SK하이닉스 샀다…5% 이상 지분 취득 공시 [매경 자이앤트]", "mna", False),
        ("한화, 아워홈 지분 취득 공시", "mna", True),
        # AI in an inauguration pledge is no AI story; the inauguration is a personnel move
        ("'생산적 금융 300조' 내건 장민영 기업은행장 공식 취임…AI·신뢰금융 전환 선언", "ai", False),
        ("'생산적 금융 300조' 내건 장민영 기업은행장 공식 취임…AI·신뢰금융 전환 선언", "people", True),
        ("LG AI연구원, 인공지능 엑사원 새 모델 공개", "ai", True),
        # a no-fly zone, a poll or a regulatory sandbox is no sanction
        ('국방부 "비행금지구역 재설정, 대비태세 영향 없도록 보완"', "sanctions", False),
        ('李 지지율 2주째 올라 55.8%…"다주택 규제 등이 상승 견인" [리얼미터]', "sanctions", False),
        ("'규제특례사업 피해보호 강화' 연구개발특구법 개정안 의결", "sanctions", False),
        ("공정위, 쿠팡에 과징금 부과", "sanctions", True),
        # the presidential office's comment on a verdict is no litigation
        ('청와대, 尹 1심 무기징역에 "특별히 말씀드릴 입장 없다"', "litigation", False),
        ("법원, 尹 1심 무기징역 선고", "litigation", True),
        # third batch of other days' items: a prison term is a ruling; a party's call after it is not
        ("이란, 노벨평화상 모하마디에 추가로 징역 7년 6개월", "litigation", True),
        ("민주, 尹 무기징역에 ‘특검 항소-사면금지법’ 제기", "litigation", False),
        # the word before 내놓/인사 shows another sense: a remark put forward, a holiday greeting
        ('"외계인 있다" 폭탄 발언 내놓더니…오바마, 하루 만에 해명', "launch", False),
        ("오뚜기, ‘제주담음 제주 흑돼지 스프카레’ 출시", "launch", True),
        ('엔하이픈, 설 인사 "병오년 새해 막힘없이 달릴 것"', "people", False),
        # a concession (규제에도) makes the regulation the background; 어렵 negates like 못
        ("갭투자·대출 규제에도…2030 매수세 늘었다", "sanctions", False),
        ("李 “답답하다” 입법 재촉했는데…RIA 내달 출시도 어려워", "launch", False),
        # AI as the cause of a record (AI 효과) is no AI story; a model's name is
        ("케이엔에스, 지난해 매출 사상 최대…로봇·피지컬 AI 효과", "ai", False),
        ("케이엔에스, 지난해 매출 사상 최대…로봇·피지컬 AI 효과", "earnings", True),
        ("구글, 추론 성능 2배 높인 ‘제미나이3.1 프로’ 출시", "ai", True),
        # a takeover told as 품다, a stake sold (지분 … 팔다); a stake sold in the market for a tax is not
        ("태광, 애경산업 몸값 225억 낮춰…4475억에 품는다", "mna", True),
        ('삼성SDI, 10조원 안팎 삼성D 지분 판다…"투자 재원 확보"(종합)', "mna", True),
        ("아모레 차녀 서호정씨, 지분 101억 매각…“증여세 납부 재원 마련”", "mna", False),
        ("KB금융, 1조 국민성장인프라펀드 조성", "investment", True),
        # a cap on stakes is regulation; a punitive tariff (제재성), officers' discipline and the
        # collection of unpaid fines are not
        ("디지털자산법 이달 내 발의될까…코인거래소 지분제한에 혼란 가중", "sanctions", True),
        ("美·인도, 잠정 무역 합의 발표…제재성 관세 25%→18%", "sanctions", False),
        ("여인형·이진우 등 ‘계엄 연루’ 군 간부 23명, 중징계 불복…국방부에 집단 항고", "sanctions", False),
        ("화재감지기 신고에도 ‘기기 오작동’ 판단, 80대 女 사망했는데…소방관은 경징계", "people", True),
        ('"1조 체납과태료 걷자" 경찰, 관리관 신설', "sanctions", False),
        ("삼성생명, 작년 순익 2.3조…3년 연속 2조 돌파", "earnings", True),
        # a sheriff (보안관) is no security news, liability insurance (책임배상보험) no litigation
        ("주민이 주도하여 우리 동네 더 안전하게!...중랑구, 제5기 안전보안관 출범", "security", False),
        ("[포토] 금천구, 사립경로당 책임배상보험 가입", "litigation", False),
    ],
)
def test_the_words_around_a_theme_word_decide_whether_it_counts(
    nlp: KoreanNLP, title: str, theme: str, expected: bool
) -> None:
    assert (theme in themes_of(nlp, title)) is expected


def test_what_is_made_public_decides_whether_it_is_a_launch(nlp: KoreanNLP) -> None:
    # 02-06 item: the thing made public (수입을 공개) is an income, not a product.
    title = "\"내가 겨우 청소부라고?\"…단 5일 근무만에 '200만원 수입' 공개한 英 22세 여성"
    lead = (
        "영국에서 청소업체를 운영하는 22세 대표가 하루 근무 시간과 수입을 공개하며 단 5일 만에 "
        "1000파운드가 넘는 수익을 올렸다고 밝혀 화제를 모으고 있다."
    )
    assert "launch" not in themes_of(nlp, title, lead)
    assert "launch" in themes_of(nlp, "삼성전자, 갤럭시 신제품 공개", "삼성전자가 신제품을 공개했다.")


def test_a_reporter_s_rank_in_the_byline_is_no_appointment(nlp: KoreanNLP) -> None:
    body = (
        "[헤럴드경제=박종일 선임기자]서울 강북구(구청장 이순희)는 주민이 안심하고 생활할 수 있는 "
        "도시환경 조성을 위해 올해 2월부터 11월까지 야간 도시안전 합동순찰을 한다."
    )
    assert "people" not in themes_of(nlp, "강북구, 주민·경찰과 야간 도시안전 합동순찰", body)
    assert "people" in themes_of(nlp, "마사회 신임 회장에 우희종 교수 선임")


def test_two_words_apart_tell_a_deal_that_neither_tells_alone(nlp: KoreanNLP) -> None:
    # 02-06 item: the largest shareholder changes, said across a particle and a name.
    lead = (
        "스틱인베스트먼트의 최대주주가 미리캐피탈로 변경되고 향후 주주가치 제고를 예고하면서 "
        "행동주의 펀드 얼라인파트너스도 우호 주주로 돌아설 전망이다."
    )
    # Without a headline (a headline that names no word of it would make the lead's words an aside).
    assert "mna" in themes_of(nlp, "", lead)
    tax = Taxonomy.from_data(
        {
            "threshold": 1.0,
            "body_factor": 1.0,
            "themes": [{"slug": "x", "label": "엑스", "lexicon": {}, "pairs": {"지분+취득": 1.0}}],
        }
    )
    stake, buy = SimpleMorph("지분", "NNG", 0, 2), SimpleMorph("취득", "NNG", 20, 2)
    far = [stake] + [SimpleMorph(f"말{i}", "NNG", 3 + 3 * i, 2) for i in range(6)] + [buy]
    assert tax.score([stake, SimpleMorph("을", "JKO", 2, 1), buy]) == [("x", 1.0)]
    assert tax.score([stake]) == [] and tax.score([buy]) == []
    assert tax.score([buy, stake]) == []  # the order is part of the pattern
    assert tax.score(far) == []


def test_a_headline_naming_a_partner_makes_a_collaboration_in_the_lead_an_alliance(nlp: KoreanNLP) -> None:
    from briefings.digest.themes import title_partner

    lead = "파리바게뜨가 LG전자와 협업해 유럽 최대 디스플레이 전시회인 ‘ISE 2026’에서 한국 베이커리를 알렸다."
    (partnered,) = nlp.tokenize(["파리바게뜨, LG전자와 유럽서 ‘K파바’ 홍보"])
    (alone,) = nlp.tokenize(["파리바게뜨, 유럽서 ‘K파바’ 홍보"])
    (pair,) = nlp.tokenize(["삼성전자와 SK하이닉스 주가 급등"])
    assert title_partner(partnered) == "LG전자"
    assert title_partner(alone) is None and title_partner(pair) is None  # no actor's comma
    assert "alliance" in themes_of(nlp, "파리바게뜨, LG전자와 유럽서 ‘K파바’ 홍보", lead)
    assert "alliance" not in themes_of(nlp, "파리바게뜨, 유럽서 ‘K파바’ 홍보", lead)
    # a district is no business partner: its 협약 is local policy
    assert "alliance" not in themes_of(nlp, "서초구, SGC문화재단과 ‘문화예술 나눔 협약’")


def test_proper_nouns_kiwi_keeps_in_capitals_match_lower_case_entries() -> None:
    # The registry's names reach Kiwi as user words, so 오픈AI comes back as one proper noun.
    tax = Taxonomy.from_data(
        {"themes": [{"slug": "ai", "label": "AI", "lexicon": {"오픈 ai": 2.0}}], "threshold": 2.0}
    )
    assert tax.score([], [SimpleMorph("오픈AI", "NNP", 0, 4)]) == [("ai", 4.0)]


def test_a_theme_may_ask_more_than_the_taxonomy_threshold() -> None:
    tax = Taxonomy.from_data(
        {
            "threshold": 1.0,
            "body_factor": 1.0,
            "themes": [
                {"slug": "x", "label": "엑스", "lexicon": {"인공지능": 2.0}, "threshold": 3.0},
                {"slug": "y", "label": "와이", "lexicon": {"제재": 2.0}},
            ],
        }
    )
    ai, sanction = SimpleMorph("인공지능", "NNG", 0, 4), SimpleMorph("제재", "NNG", 10, 2)
    assert tax.score([ai, sanction]) == [("y", 2.0)]
    assert tax.score([sanction], [ai]) == [("x", 4.0), ("y", 2.0)]


def test_a_hedge_weakens_a_theme_word(nlp: KoreanNLP) -> None:
    tax = default_taxonomy()
    (plain,) = nlp.tokenize(["러트닉 상무 사임 확산"])
    (hedged,) = nlp.tokenize(["러트닉 상무 사임론 확산"])
    assert dict(tax.score([], hedged))["people"] == pytest.approx(dict(tax.score([], plain))["people"] / 2)


def test_a_word_past_the_lead_counts_less_than_in_the_lead() -> None:
    tax = Taxonomy.from_data(
        {
            "threshold": 1.0,
            "body_factor": 1.0,
            "lead_chars": 100,
            "tail_factor": 0.25,
            "themes": [{"slug": "x", "label": "엑스", "lexicon": {"제재": 2.0}}],
        }
    )
    assert tax.score([SimpleMorph("제재", "NNG", 10, 2)]) == [("x", 2.0)]
    assert tax.score([SimpleMorph("제재", "NNG", 300, 2)]) == []


def test_the_headline_actor_is_the_noun_before_its_first_comma(nlp: KoreanNLP) -> None:
    from briefings.digest.themes import title_actor

    (seocho,) = nlp.tokenize(["서초구, SGC문화재단과 ‘문화예술 나눔 협약’"])
    (plain,) = nlp.tokenize(["설 앞두고 협력사 대금 조기 지급"])
    assert title_actor(seocho) == "서초구"
    assert default_taxonomy().is_public(title_actor(seocho))
    assert title_actor(plain) is None


def test_a_theme_the_headline_does_not_name_weighs_less_in_the_lead() -> None:
    tax = Taxonomy.from_data(
        {
            "threshold": 1.0,
            "body_factor": 1.0,
            "untitled_factor": 0.5,
            "themes": [
                {"slug": "x", "label": "엑스", "lexicon": {"유출": 1.5}},
                {"slug": "y", "label": "와이", "lexicon": {"관세": 1.0}},
            ],
        }
    )
    leak = [SimpleMorph("유출", "NNG", 0, 2)]
    assert tax.score(leak) == [("x", 1.5)]  # no headline: the lead is all there is
    assert tax.score(leak, [SimpleMorph("관세", "NNG", 0, 2)]) == [("y", 2.0)]  # 0.75 < 1
    assert tax.score(leak, [SimpleMorph("유출", "NNG", 0, 2)]) == [("x", 4.5)]  # named: full weight
