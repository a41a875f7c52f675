"""Write the seed corpus: fuzz/corpus/<target>/, a few valid and broken streams per configuration.

Deterministic, so the committed corpus can be regenerated: python fuzz/make_corpus.py
Each file is one input: a selector byte (the configuration's index) and a stream.
"""

from __future__ import annotations

import hashlib
import shutil

from _harness import FUZZ_DIR, TARGETS, configs

import framing

SAMPLES = [b"", b"x", b"hello", b"\x00\n\xc0\xdb\r", b"\xdb\xdc\xc0\x00\x00", bytes(range(40))]


def encodings(codec: framing.Codec) -> list[bytes]:
    """The wire forms of the sample messages the codec can frame."""
    out = []
    with_fields = isinstance(codec, framing.LengthPrefixed) and codec._layout.has_fields
    for message in [*SAMPLES, b"m" * min(codec.max_length, 64)]:
        try:
            out.append(
                codec.encode(framing.Frame(message, {"type": 7}))
                if with_fields
                else codec.encode(message)
            )
        except framing.FramingError:
            continue
    return out


def streams(codec: framing.Codec) -> list[bytes]:
    """Valid streams, a cut one, one with a bad byte, one too long, plain noise."""
    frames = encodings(codec)
    if isinstance(codec, framing.UntilClose):
        return [*frames, b"noise"]
    valid = b"".join(frames)
    out = [valid, *frames[:3]]
    if valid:
        out += [valid[: len(valid) // 2], valid[:5] + b"\xff" + valid[5:]]
    out += [b"\xff" * 3 + valid, b"9" * 20 + b":", b"\xc0\xdb\x00\r\n" * 4]
    return out


def main() -> None:
    for target in TARGETS:
        directory = FUZZ_DIR / "corpus" / target
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        for index, codec in enumerate(configs(target)):
            for stream in streams(codec):
                data = bytes([index]) + stream
                name = hashlib.sha1(data).hexdigest()[:16]
                (directory / name).write_bytes(data)
        print(f"{target}: {len(list(directory.iterdir()))} seeds")


if __name__ == "__main__":
    main()
