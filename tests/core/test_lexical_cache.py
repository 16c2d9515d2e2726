"""The BM25 cache on disk survives two writers at once (a host's service following a new generation while
an ingest on the same host saves the same cache)."""

from __future__ import annotations

import threading

from cstassist.lexical import LexicalIndex

RECORDS = [
    ("c1", "The board reviews the chief executive's performance each year.", {"audience": "public", "document_id": "d1"}),
    ("c2", "Trustees keep a skills register and review it every autumn.", {"audience": "public", "document_id": "d2"}),
    ("c3", "Strong trusts invest in governance professionals.", {"audience": "members", "document_id": "d3"}),
]


def test_concurrent_saves_leave_one_whole_cache_and_no_debris(tmp_path):
    folder = tmp_path / "lexical"
    errors: list[BaseException] = []

    def save(generation: int) -> None:
        try:
            for _ in range(15):
                LexicalIndex.build(RECORDS, generation).save(folder)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(g,)) for g in (1, 2, 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    loaded = LexicalIndex.load(folder)
    assert loaded is not None and loaded.generation in (1, 2, 3) and loaded.ids == ["c1", "c2", "c3"]
    assert [p.name for p in tmp_path.iterdir()] == ["lexical"]


def test_members_passages_leave_public_scores_and_rankings_byte_identical(tmp_path):
    """Issue 18 finding 6: BM25's term statistics (document frequencies, average length) over every passage let
    members-only text shift public scores, so a public caller could count words in papers it cannot read."""
    from cstassist.filters import Filters

    public = RECORDS[:2] + [
        ("c4", "The board appoints the accounting officer and reviews the skills register.", {"audience": "public"}),
    ]
    members = [
        (f"m{i}", "Skills register review by the board: the members' confidential skills register plan.", {"audience": "members"})
        for i in range(5)
    ]
    before = LexicalIndex.build(public, generation=1)
    after = LexicalIndex.build(public + members, generation=2)
    after.save(tmp_path / "lexical")
    reloaded = LexicalIndex.load(tmp_path / "lexical")
    anonymous = Filters(("public",))
    for query in ("skills register", "board reviews", "confidential plan", "accounting officer skills"):
        expected = before.search_with(query, 10, anonymous, also=["c1", "c2"])
        assert after.search_with(query, 10, anonymous, also=["c1", "c2"]) == expected, query
        assert reloaded.search_with(query, 10, anonymous, also=["c1", "c2"]) == expected, query
        assert after.document_frequency(["skill", "regist"], anonymous) == before.document_frequency(
            ["skill", "regist"], anonymous
        )
    # members still search (and are scored over) both audiences
    assert {cid for cid, _ in after.search("skills register", 10, Filters(("public", "members")))} >= {"m0", "c2"}
