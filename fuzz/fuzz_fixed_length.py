"""Fuzz target: the FixedLength decoder (sizes 1, 3, 16).

Invariant: any input either decodes or raises FramingError, never anything else,
and gives the same result fed whole or one byte at a time.

The first byte of an input picks the configuration (fuzz/_harness.py), the rest
is the stream. Run:
    python fuzz/fuzz_fixed_length.py fuzz/corpus-work/fixed_length fuzz/corpus/fixed_length
(libFuzzer flags such as -max_total_time=3600 apply; --random runs without atheris).
"""

from _harness import main

if __name__ == "__main__":
    main("fixed_length")
