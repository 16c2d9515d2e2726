"""The glossary: staff synonyms and the acronyms papers define expand a query with the papers' own words."""

from __future__ import annotations

import pytest

from cstassist.glossary import Glossary, GlossaryError, defined_acronyms, learn

AGM = Glossary([("AGM", "annual general meeting", "members' annual meeting")])


def test_a_query_naming_one_term_is_searched_with_the_others():
    assert AGM.expand("How do we run our AGM?") == "How do we run our AGM? (annual general meeting; members' annual meeting)"
    assert AGM.expand("When is the annual general meeting held?").endswith("(AGM; members' annual meeting)")
    assert AGM.expand("What does our members’ annual meeting decide?").endswith("(AGM; annual general meeting)")


def test_acronyms_match_only_in_capitals_and_unrelated_queries_are_left_alone():
    assert AGM.expand("what is an agm") == "what is an agm"
    assert AGM.expand("How should the board review the CEO?") == "How should the board review the CEO?"


def test_a_term_the_papers_already_use_more_than_its_synonyms_is_not_expanded():
    cst = Glossary([("CST", "Confederation of School Trusts")])
    frequency = {
        "CST": 60,
        "Confederation of School Trusts": 5,
        "AGM": 0,
        "annual general meeting": 0,
        "members' annual meeting": 3,
    }
    assert cst.expand("What does CST do?", frequency.get) == "What does CST do?"
    assert AGM.expand("How do we run our AGM?", frequency.get).endswith("(annual general meeting; members' annual meeting)")


def test_papers_define_their_own_acronyms():
    text = (
        "CST represents multi-academy trusts (MATs) of every size. The Confederation of School Trusts (CST) runs "
        "National Teacher Accreditation (NTA). Results (2019) were good (OK)."
    )
    assert defined_acronyms(text) == {
        "MAT": "multi-academy trusts",
        "CST": "Confederation of School Trusts",
        "NTA": "National Teacher Accreditation",
    }
    assert learn([text]).expand("Is a MAT a charity?") == "Is a MAT a charity? (multi-academy trusts)"


def test_the_staff_file_is_read_and_a_bad_one_is_refused_with_its_name(tmp_path):
    good = tmp_path / "glossary.yaml"
    good.write_text("synonyms:\n  - [AGM, annual general meeting]\n  - [MAT, multi-academy trust]\n", encoding="utf-8")
    assert Glossary.load(good).groups == [("AGM", "annual general meeting"), ("MAT", "multi-academy trust")]
    assert Glossary.load(tmp_path / "missing.yaml").groups == []
    for text, reason in [("synonyms: [AGM]", "at least two terms"), ("terms: []", "synonyms"), ("synonyms: [[a, b", "YAML")]:
        good.write_text(text, encoding="utf-8")
        with pytest.raises(GlossaryError, match=reason) as err:
            Glossary.load(good)
        assert str(good) in str(err.value)
