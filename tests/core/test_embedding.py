"""The embedders: the torch default and the onnx-int8 backend, checked against each other on real text."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from cstassist import embedding
from cstassist.embedding import OnnxInt8Embedder, cached_onnx_export, create_embedder
from cstassist.settings import EmbeddingSettings

CORPUS = Path(__file__).resolve().parents[2] / "corpus"
ONNX = EmbeddingSettings(backend="onnx-int8")
TORCH = EmbeddingSettings(backend="torch")


def corpus_sentences() -> list[str]:
    """Every sentence of 40+ characters in the bundled corpus (about 300)."""
    out = []
    for f in sorted(CORPUS.iterdir()):
        if f.suffix in {".md", ".txt"}:
            out += [s.strip() for s in re.split(r"(?<=[.!?])\s+", f.read_text(encoding="utf-8")) if len(s.strip()) >= 40]
    return out


@pytest.fixture(scope="module")
def fp32():
    """The reference: sentence-transformers in PyTorch fp32."""
    return create_embedder(TORCH)


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def onnx_embedder(model_cache) -> OnnxInt8Embedder:
    """The onnx-int8 embedder, exported once for this module (about 15 s)."""
    e = create_embedder(ONNX, cache_dir=model_cache)
    assert isinstance(e, OnnxInt8Embedder)
    return e


@pytest.mark.slow
def test_onnx_int8_vectors_are_close_to_fp32_on_real_sentences(onnx_embedder, fp32):
    sentences = corpus_sentences()
    assert len(sentences) > 200
    reference, int8 = fp32.embed(sentences), onnx_embedder.embed(sentences)
    assert int8.shape == reference.shape == (len(sentences), 384) and int8.dtype == np.float32
    cosine = (reference * int8).sum(axis=1)
    assert cosine.min() >= 0.98, [(float(c), s) for c, s in zip(cosine, sentences) if c < 0.98][:3]
    assert cosine.mean() >= 0.99  # measured: min 0.990, mean 0.996 on 286 corpus sentences


@pytest.mark.slow
def test_onnx_query_vector_is_close_to_fp32_and_unit_length(onnx_embedder, fp32):
    q = "How should the board appraise the chief executive?"
    v = onnx_embedder.embed_query(q)
    assert v.shape == (384,) and abs(float(np.linalg.norm(v)) - 1.0) < 1e-4
    assert float(v @ fp32.embed_query(q)) >= 0.98


@pytest.mark.slow
def test_onnx_export_is_cached_and_not_redone(onnx_embedder, model_cache, monkeypatch):
    folder = model_cache / "minilm-onnx-int8"
    model = folder / embedding.INT8_FILE
    before = (model.stat().st_mtime_ns, (folder / "export.json").read_text())

    def no_export(*_args):  # a second construction must load the cached file, never export
        raise AssertionError("exported again")

    monkeypatch.setattr(embedding, "export_onnx_int8", no_export)
    again = create_embedder(ONNX, cache_dir=model_cache)
    assert (model.stat().st_mtime_ns, (folder / "export.json").read_text()) == before
    q = "What makes a strong trust?"
    assert np.allclose(again.embed_query(q), onnx_embedder.embed_query(q), atol=1e-6)


@pytest.mark.slow
def test_stale_export_is_redone(onnx_embedder, model_cache, tmp_path, monkeypatch):
    """An export made from other model files (a package upgrade) is replaced, not trusted."""
    cache = tmp_path / "models"
    (cache / "minilm-onnx-int8").mkdir(parents=True)
    (cache / "minilm-onnx-int8" / "export.json").write_text(json.dumps({"fingerprint": {"export_version": 0}}))
    calls = []

    def copy_export(model_dir: Path, target: Path, *_args) -> None:  # reuse the module's real export, not redo it
        calls.append(model_dir)
        for name in (embedding.INT8_FILE, embedding.FP32_FILE):
            (target / name).write_bytes((model_cache / "minilm-onnx-int8" / name).read_bytes())

    monkeypatch.setattr(embedding, "export_onnx_int8", copy_export)
    folder = cached_onnx_export(embedding.bundled_model_path(), cache)
    assert len(calls) == 1 and (folder / embedding.INT8_FILE).is_file()
    assert json.loads((folder / "export.json").read_text())["fingerprint"]["export_version"] == embedding.EXPORT_VERSION
    cached_onnx_export(embedding.bundled_model_path(), cache)
    assert len(calls) == 1


@pytest.mark.slow
def test_both_quantisation_targets_stay_close_to_fp32(fp32, tmp_path, monkeypatch):
    """The module fixture covers the target this CPU picks; this covers the other one (AVX2-only CPUs
    use unsigned weights, VNNI CPUs signed)."""
    other = "avx2" if embedding.quantisation_target() == "avx512_vnni" else "avx512_vnni"
    monkeypatch.setattr(embedding, "quantisation_target", lambda: other)
    e = create_embedder(ONNX, cache_dir=tmp_path)
    assert json.loads((tmp_path / "minilm-onnx-int8" / "export.json").read_text())["fingerprint"]["quantisation"] == other
    sentences = corpus_sentences()
    cosine = (fp32.embed(sentences) * e.embed(sentences)).sum(axis=1)
    assert cosine.min() >= 0.98 and cosine.mean() >= 0.99


def test_torch_embedder_gives_unit_vectors_in_input_order(fp32):
    texts = ["The board appraises the chief executive.", "Trusts publish annual reports.", ""]
    vecs = fp32.embed(texts)
    assert vecs.shape == (3, 384) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs[:2], axis=1), 1.0, atol=1e-4)
    assert float(vecs[0] @ fp32.embed_query(texts[0])) > 0.9999
    assert fp32.embed([]).shape == (0, 384)


@pytest.mark.slow
def test_an_onnx_vector_depends_on_its_text_only_not_on_the_other_texts_or_their_order(onnx_embedder):
    """Texts run one at a time: the same bytes alone or among many, in any order, and the same as the query path;
    so embedding a repeated text once, or reordering, changes nothing."""
    sentences = corpus_sentences()
    passages = [" ".join(sentences[i : i + 6]) for i in range(0, 60, 6)]
    texts = [t for pair in zip(sentences[:40], passages + passages[:30]) for t in pair]  # long and short interleaved
    together = onnx_embedder.embed(texts)
    assert together.shape == (len(texts), 384) and together.dtype == np.float32
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-4)
    alone = np.stack([onnx_embedder.embed_query(t) for t in texts])
    np.testing.assert_array_equal(together, alone)
    shuffled = np.random.default_rng(3).permutation(len(texts))
    np.testing.assert_array_equal(onnx_embedder.embed([texts[i] for i in shuffled]), together[shuffled])
    assert onnx_embedder.embed([]).shape == (0, 384)
