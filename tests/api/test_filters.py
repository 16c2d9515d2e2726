"""Filters narrow results inside retrieval; none of them widens what a caller may see."""

from __future__ import annotations

from members_doc import MEMBERS_CODEWORD, MEMBERS_DOC_ID, leaked


def search(client, query: str, k: int = 5, **filters) -> list[dict]:
    r = client.post("/v1/search", json={"query": query, "k": k, "filters": filters})
    assert r.status_code == 200, r.text
    return r.json()["results"]


def test_document_id_filter_returns_only_that_document_and_fills_k(client):
    # taking-stock-2019 is not among the top results for this query unfiltered; a filter applied after
    # ranking would return fewer than k passages
    unfiltered = search(client, "the five domains of a strong trust", k=5)
    assert "taking-stock-2019" not in {p["document_id"] for p in unfiltered}
    results = search(client, "the five domains of a strong trust", k=5, document_id="taking-stock-2019")
    assert len(results) == 5
    assert {p["document_id"] for p in results} == {"taking-stock-2019"}


def test_document_ids_filter_accepts_several_documents(client):
    wanted = {"taking-stock-2019", "school-trusts-insurgent-mission", "estates-guidance-2019"}
    results = search(client, "leadership of school trusts", k=10, document_ids=sorted(wanted))
    assert results and {p["document_id"] for p in results} <= wanted
    assert len({p["document_id"] for p in results}) == 2


def test_kind_filter_returns_only_that_kind(client):
    results = search(client, "chief executive performance review", k=5, kind="annual report")
    assert len(results) == 5
    assert {p["document_id"] for p in results} == {"cst-annual-report-2024-25"}


def test_published_range_keeps_only_documents_published_inside_it(client):
    results = search(client, "trust governance", k=20, published_from="2022", published_to="2023")
    assert results
    assert {p["published"] for p in results} <= {"2022-02", "2023-09"}
    assert {p["document_id"] for p in results} <= {"what-is-a-strong-trust-2022", "policy-library-trust-governance"}


def test_published_from_alone_excludes_older_documents(client):
    results = search(client, "trust governance", k=20, published_from="2023-01")
    assert results and all(p["published"] >= "2023" for p in results)


def test_published_to_alone_excludes_newer_documents(client):
    results = search(client, "trust governance", k=20, published_to="2020")
    assert results and {p["document_id"] for p in results} <= {
        "taking-stock-2019",
        "school-trusts-insurgent-mission",
        "estates-guidance-2019",
    }


def test_filters_that_match_nothing_give_no_results_and_ask_abstains(client):
    assert search(client, "trust governance", published_from="2030") == []
    r = client.post("/v1/ask", json={"question": "What are the five domains of a strong trust?", "filters": {"kind": "podcast"}})
    assert r.status_code == 200 and r.json()["abstained"] is True and r.json()["citations"] == []


def test_ask_respects_a_document_filter(client):
    r = client.post(
        "/v1/ask",
        json={
            "question": "What are the five domains of a strong trust?",
            "filters": {"document_id": "policy-library-trust-governance"},
        },
    )
    body = r.json()
    assert body["citations"] and {c["document_id"] for c in body["citations"]} == {"policy-library-trust-governance"}


def test_an_audience_filter_is_refused_not_obeyed(client):
    for flt in ({"audience": "members"}, {"audiences": ["public", "members"]}):
        r = client.post("/v1/search", json={"query": MEMBERS_CODEWORD, "filters": flt})
        assert 400 <= r.status_code < 500 and r.json()["error"]["code"]
        assert not leaked(r.text)
    r = client.post("/v1/ask", json={"question": "Harbourside trustee succession ladder", "audience": "members"})
    assert 400 <= r.status_code < 500 and not leaked(r.text)


def test_filtering_to_the_members_document_does_not_reveal_it_to_anonymous_callers(client):
    assert search(client, MEMBERS_CODEWORD, document_id=MEMBERS_DOC_ID) == []
    assert search(client, "trustee succession", kind="members briefing") == []
