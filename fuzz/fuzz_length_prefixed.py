"""Fuzz target: the LengthPrefixed decoder.

Headers: !I, B, <h, varint, includes_header, Int24ub, VarInt, a Struct with a magic.

Invariant: any input either decodes or raises FramingError, never anything else,
and gives the same result fed whole or one byte at a time.

The first byte of an input picks the configuration (fuzz/_harness.py), the rest
is the stream. Run:
    python fuzz/fuzz_length_prefixed.py fuzz/corpus-work/length_prefixed fuzz/corpus/length_prefixed
(libFuzzer flags such as -max_total_time=3600 apply; --random runs without atheris).
"""

from _harness import main

if __name__ == "__main__":
    main("length_prefixed")
