"""Fuzz target: the UntilClose decoder (max_length 32 and 0).

Invariant: any input either decodes or raises FramingError, never anything else,
and gives the same result fed whole or one byte at a time.

The first byte of an input picks the configuration (fuzz/_harness.py), the rest
is the stream. Run:
    python fuzz/fuzz_until_close.py fuzz/corpus-work/until_close fuzz/corpus/until_close
(libFuzzer flags such as -max_total_time=3600 apply; --random runs without atheris).
"""

from _harness import main

if __name__ == "__main__":
    main("until_close")
