"""The theme model: what it reads of an article, and what it decides on real headlines."""

from __future__ import annotations

import json

import numpy as np
import pytest

from briefings.digest.nlp import KoreanNLP
from briefings.digest.pipeline import ArticleInput, Digester
from briefings.digest.theme_model import ThemeModel, Themer, default_model
from briefings.digest.themes import Taxonomy, default_taxonomy

pytestmark = pytest.mark.kiwi


@pytest.fixture(scope="module")
def digester(nlp: KoreanNLP) -> Digester:
    """A digester deciding themes by the packaged model (the process's Kiwi and registry)."""
    from briefings.companies import default_registry

    return Digester(default_registry(), nlp, theme_model=default_model())


def features_of(digester: Digester, title: str, body: str = "") -> dict[str, float]:
    (feats,) = digester.theme_features([ArticleInput(0, title, body)])
    return feats


def themes_of(digester: Digester, title: str, body: str = "") -> list[str]:
    (analysis,) = digester.analyze([ArticleInput(0, title, body)])
    return analysis.theme_slugs


def test_the_packaged_model_is_the_taxonomy_s_and_small() -> None:
    model = default_model()
    assert model.slugs == tuple(t.slug for t in default_taxonomy().themes)
    assert model.weights.shape == (len(model.index), len(model.slugs))
    assert np.isfinite(model.weights).all() and 0.0 < model.threshold < 1.0
    # Every theme starts from the lexicon rule's verdict, which the model corrects.
    rule = model.weights[[model.index["rule:" + s] for s in model.slugs], range(len(model.slugs))]
    assert (rule > 0).all()


def test_a_word_is_read_with_its_place_its_neighbours_and_its_negation(digester: Digester) -> None:
    plain = features_of(digester, "카카오게임즈, 올해 신작 출시")
    negated = features_of(digester, "카카오게임즈, 올해 신작 출시 안 한다")
    assert plain["rule:launch"] == 1.0 and "w:T:출시" in plain
    assert "neg:launch" in negated and "rule:launch" not in negated and "w:T:출시" not in negated
    hedged = features_of(digester, "러트닉 상무 사임론 확산")
    assert "hedge:people" in hedged and "w:사임>론" in hedged
    lead = features_of(digester, "올해 업계 전망", "삼성전자가 스마트폰 신제품을 출시했다.")
    assert "w:L:출시" in lead and "w:T:출시" not in lead and "title:launch" not in lead


def test_the_company_s_role_is_read_off_the_matcher(digester: Digester) -> None:
    assert "co:primary" in features_of(digester, "삼성전자, 폴더블 신제품 공개")
    assert "co:none" in features_of(digester, "“관계 정리하자”…홧김에 흉기 휘두른 60대 현행범 체포")
    assert "actor:public" in features_of(digester, "서초구, SGC문화재단과 ‘문화예술 나눔 협약’")


# Items of the tuning data (RSS of 2026-02) the lexicon rule alone gets wrong: a politician's "공개
# 질의" is no product launch, a street arrest no court case, a district's 협약 no alliance.
@pytest.mark.parametrize(
    ("title", "theme", "expected"),
    [
        ("李대통령 “다주택 특혜 회수해야”…장동혁에 공개 질의", "launch", False),
        ('민주당 "답정너 합당, 필망카드" 공개충돌…정청래 "경청할 것"', "launch", False),
        ("고양시-고양동부새마을금고, '출생축하 아기통장'지원 업무협약", "alliance", False),
        ("하림, 닭의 진한 맛 담은 한 그릇 ‘닭칼국수’ 출시", "launch", True),
        ("태광그룹 컨소, 애경산업 4475억에 인수 합의…2080 치약 리콜 사태에 5%↓", "mna", True),
        ("조현범, 한국앤컴퍼니 등기이사 사임…박종호 단독대표 체제로 전환(종합)", "people", True),
        ("세아베스틸지주, 작년 영업이익 1024억원.. 전년비 95.6%↑", "earnings", True),
    ],
)
def test_the_model_tells_the_subject_from_a_passing_word(
    digester: Digester, title: str, theme: str, expected: bool
) -> None:
    assert (theme in themes_of(digester, title)) is expected


def test_a_model_round_trips_through_its_data_file() -> None:
    model = default_model()
    again = ThemeModel.from_data(json.loads(json.dumps(model.to_data())))
    feats = {"rule:ai": 1.0, "title:ai": 1.2, "co:primary": 1.0, "t:반도체": 1.0, "unknown": 1.0}
    assert again.probabilities(feats) == pytest.approx(model.probabilities(feats), abs=1e-4)
    assert again.themes(feats) == model.themes(feats)


def test_a_taxonomy_of_the_caller_s_is_scored_by_its_own_rule() -> None:
    tax = Taxonomy.from_data(
        {"threshold": 1.0, "themes": [{"slug": "x", "label": "엑스", "lexicon": {"제재": 2.0}}]}
    )
    model = default_model()
    with pytest.raises(ValueError, match="not in the taxonomy"):
        Themer(tax, model)
    runs = [("제재", 0, 2)]
    assert Themer(tax).themes([], runs) == [("x", 4.0)]
