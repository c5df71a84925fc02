"""bincode 2 `config::standard()` primitives: little-endian, variable-length integers.

The rules (bincode 2.0's `varint` and `enc`/`de` impls, which mirrord's protocol crate uses):

- unsigned integers wider than `u8` are varints: a value below 251 is one byte; otherwise a
  marker byte (251 = u16, 252 = u32, 253 = u64, 254 = u128) followed by the value in that many
  little-endian bytes. A decoder accepts only markers no wider than the declared type.
- signed integers are zigzag-mapped (0, -1, 1, -2 ... → 0, 1, 2, 3 ...) then varint-encoded.
- `u8` is one raw byte; `bool` is one byte, 0 or 1.
- strings, byte strings, sequences and maps: a varint length (in bytes for strings, in items
  otherwise), then the items back to back. Fixed-size arrays (IP addresses) have no length.
- `Option`: one byte, 0 (None) or 1 (Some, followed by the value).
- enums (derived, and `Result`): the variant's declaration index as a u32 varint, then the
  variant's fields in declaration order. Serde-encoded types (`#[bincode(with_serde)]`) use the
  same rules through bincode's non-human-readable serde serializer.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")

SINGLE_BYTE_MAX = 250
U16_BYTE = 251
U32_BYTE = 252
U64_BYTE = 253
U128_BYTE = 254

# The widest marker each declared width accepts.
_MAX_MARKER = {16: U16_BYTE, 32: U32_BYTE, 64: U64_BYTE, 128: U128_BYTE}

# No real message carries a single string, byte string or collection this large; a length
# beyond it means the stream is not the protocol (waiting for that many bytes would hang).
MAX_LENGTH = 1 << 30

_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")


class NeedMore(Exception):
    """The input ended in the middle of a value: wait for more bytes."""


class DecodeError(ValueError):
    """The input is malformed or uses an unknown variant: the stream cannot be trusted.

    From a stream decoder's `feed`, `messages` holds the whole messages that preceded the bad
    bytes in that chunk (a `Close` with the agent's reason may be among them).
    """

    messages: list[object]

    def __init__(self, *args: object) -> None:
        super().__init__(*args)
        self.messages = []


class Writer:
    """Appends bincode-encoded values to a growing buffer."""

    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = bytearray()

    def getvalue(self) -> bytes:
        return bytes(self._buf)

    def raw(self, data: bytes) -> None:
        """Bytes with no length prefix (fixed-size arrays)."""
        self._buf += data

    def u8(self, value: int) -> None:
        if not 0 <= value <= 0xFF:
            raise ValueError(f"u8 out of range: {value}")
        self._buf.append(value)

    def bool(self, value: bool) -> None:
        self._buf.append(1 if value else 0)

    def varint(self, value: int) -> None:
        buf = self._buf
        if value < 0:
            raise ValueError(f"unsigned integer is negative: {value}")
        if value <= SINGLE_BYTE_MAX:
            buf.append(value)
        elif value < 1 << 16:
            buf.append(U16_BYTE)
            buf += _U16.pack(value)
        elif value < 1 << 32:
            buf.append(U32_BYTE)
            buf += _U32.pack(value)
        elif value < 1 << 64:
            buf.append(U64_BYTE)
            buf += _U64.pack(value)
        elif value < 1 << 128:
            buf.append(U128_BYTE)
            buf += value.to_bytes(16, "little")
        else:
            raise ValueError(f"integer wider than 128 bits: {value}")

    def zigzag(self, value: int) -> None:
        self.varint(value << 1 if value >= 0 else (-value << 1) - 1)

    def str(self, value: str) -> None:
        self.bytes(value.encode("utf-8"))

    def bytes(self, value: bytes) -> None:
        self.varint(len(value))
        self._buf += value

    def option(self, value: T | None, fn: Callable[[T], None]) -> None:
        if value is None:
            self._buf.append(0)
        else:
            self._buf.append(1)
            fn(value)

    def seq(self, items: Iterable[T], fn: Callable[[T], None]) -> None:
        items = list(items)
        self.varint(len(items))
        for item in items:
            fn(item)

    def map(
        self, mapping: Mapping[K, V], kfn: Callable[[K], None], vfn: Callable[[V], None]
    ) -> None:
        self.varint(len(mapping))
        for key, value in mapping.items():
            kfn(key)
            vfn(value)

    def enum(self, index: int) -> None:
        self.varint(index)


class Reader:
    """Reads bincode-encoded values from `data` starting at `pos`.

    Raises `NeedMore` when the data ends inside a value and `DecodeError` when it is malformed.
    Byte strings come out as `bytes` copied once from the input.
    """

    __slots__ = ("_data", "pos", "_end")

    def __init__(self, data: bytes | bytearray | memoryview, pos: int = 0) -> None:
        self._data = data
        self.pos = pos
        self._end = len(data)

    @property
    def remaining(self) -> int:
        return self._end - self.pos

    def _take(self, count: int) -> int:
        """Reserves `count` bytes; returns their start."""
        start = self.pos
        end = start + count
        if end > self._end:
            raise NeedMore
        self.pos = end
        return start

    def read_raw(self, count: int) -> bytes:
        start = self._take(count)
        return bytes(self._data[start : start + count])

    def read_u8(self) -> int:
        pos = self.pos
        if pos >= self._end:
            raise NeedMore
        self.pos = pos + 1
        return self._data[pos]

    def read_bool(self) -> bool:
        value = self.read_u8()
        if value > 1:
            raise DecodeError(f"invalid bool byte {value}")
        return value == 1

    def read_varint(self, bits: int = 64) -> int:
        """An unsigned varint of a type `bits` wide (16, 32, 64 or 128)."""
        pos = self.pos
        if pos >= self._end:
            raise NeedMore
        first = self._data[pos]
        if first <= SINGLE_BYTE_MAX:
            self.pos = pos + 1
            return first
        if first > _MAX_MARKER[bits]:
            raise DecodeError(f"invalid varint marker {first} for a {bits}-bit integer")
        size = 2 << (first - U16_BYTE)
        end = pos + 1 + size
        if end > self._end:
            raise NeedMore
        self.pos = end
        return int.from_bytes(self._data[pos + 1 : end], "little")

    def read_u16(self) -> int:
        return self.read_varint(16)

    def read_u32(self) -> int:
        return self.read_varint(32)

    def read_u64(self) -> int:
        return self.read_varint(64)

    def read_u128(self) -> int:
        return self.read_varint(128)

    def read_zigzag(self, bits: int = 64) -> int:
        raw = self.read_varint(bits)
        return raw >> 1 if raw & 1 == 0 else -((raw + 1) >> 1)

    def read_len(self) -> int:
        length = self.read_varint(64)
        if length > MAX_LENGTH:
            raise DecodeError(f"length {length} exceeds the protocol's limit")
        return length

    def read_bytes(self) -> bytes:
        length = self.read_len()
        start = self._take(length)
        return bytes(self._data[start : start + length])

    def read_str(self) -> str:
        length = self.read_len()
        start = self._take(length)
        try:
            return str(self._data[start : start + length], "utf-8")
        except UnicodeDecodeError as exc:
            raise DecodeError(f"string is not valid UTF-8: {exc.reason}") from None

    def read_option(self, fn: Callable[[], T]) -> T | None:
        tag = self.read_u8()
        if tag == 0:
            return None
        if tag == 1:
            return fn()
        raise DecodeError(f"invalid Option tag {tag}")

    def read_seq(self, fn: Callable[[], T]) -> list[T]:
        length = self.read_len()
        if length > self.remaining:
            # Every item takes at least one byte: the rest has not arrived yet.
            raise NeedMore
        return [fn() for _ in range(length)]

    def read_map(self, kfn: Callable[[], K], vfn: Callable[[], V]) -> dict[K, V]:
        length = self.read_len()
        if length > self.remaining:
            raise NeedMore
        out: dict[K, V] = {}
        for _ in range(length):
            key = kfn()
            out[key] = vfn()
        return out

    def read_enum(self) -> int:
        return self.read_varint(32)
