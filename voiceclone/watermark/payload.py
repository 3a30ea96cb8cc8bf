"""The payload: 4-bit format version and 8-bit key id, protected by a CRC-8 (20 bits on air)."""

from __future__ import annotations

from voiceclone.errors import VoiceCloneError

FORMAT_VERSION = 1
DATA_BITS = 12
CRC_BITS = 8
PAYLOAD_BITS = DATA_BITS + CRC_BITS


def crc8(value: int, n_bits: int) -> int:
    """CRC-8 (polynomial 0x07) of the ``n_bits`` low bits of ``value``, most significant first."""
    crc = 0
    for i in range(n_bits - 1, -1, -1):
        bit = (value >> i) & 1
        top = (crc >> 7) & 1
        crc = ((crc << 1) & 0xFF) ^ (0x07 if top ^ bit else 0)
    return crc


def make_payload(key_id: int, version: int = FORMAT_VERSION) -> int:
    """The 12-bit data word: version in the high 4 bits, key id in the low 8."""
    if not 0 <= version < 16:
        raise VoiceCloneError(f"watermark format version must be 0..15, got {version}")
    if not 0 <= key_id < 256:
        raise VoiceCloneError(f"watermark key id must be 0..255, got {key_id}")
    return (version << 8) | key_id


def payload_word(payload: int | bytes) -> int:
    """Check a user payload (int or up to 12 bits as bytes) and return it as an int."""
    if isinstance(payload, bytes):
        if len(payload) > 2:
            raise VoiceCloneError(f"watermark payload holds {DATA_BITS} bits; got {len(payload)} bytes")
        payload = int.from_bytes(payload, "big")
    if not isinstance(payload, int) or not 0 <= payload < (1 << DATA_BITS):
        raise VoiceCloneError(f"watermark payload must be an integer in 0..{(1 << DATA_BITS) - 1}, got {payload!r}")
    return payload


def encode_bits(word: int) -> list[int]:
    """Data word plus CRC as a list of 0/1, most significant first."""
    full = (word << CRC_BITS) | crc8(word, DATA_BITS)
    return [(full >> i) & 1 for i in range(PAYLOAD_BITS - 1, -1, -1)]


def decode_bits(bits: list[int]) -> dict | None:
    """The payload dict when the CRC checks, else None."""
    full = 0
    for bit in bits:
        full = (full << 1) | int(bit)
    word, crc = full >> CRC_BITS, full & ((1 << CRC_BITS) - 1)
    if crc8(word, DATA_BITS) != crc:
        return None
    return {"version": word >> 8, "key_id": word & 0xFF, "word": word}
