"""One real evaluation run shared by the eval tests: the bundled gold set through the assistant over
the session's ingested corpus, in the product mode (hybrid) and both weakened baselines (dense only, lexical only)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def gold_items():
    from cstassist.evals import load_gold

    return load_gold()


@pytest.fixture(scope="session")
def eval_assistant(corpus_index, embedder):
    from cstassist.evals import open_assistant

    return open_assistant(corpus_index, embedder, ingest_corpus=False)


@pytest.fixture(scope="session")
def eval_report(eval_assistant, gold_items):
    """hybrid, dense and lexical, answers included, at the settings' own abstention threshold."""
    from cstassist.evals import EvalOptions, evaluate

    return evaluate(eval_assistant, gold_items, EvalOptions(k=5, modes=("hybrid", "dense", "lexical")))
