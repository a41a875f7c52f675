"""Fuzz target: the SLIP decoder (max_length 6; leading_end=False).

Invariant: any input either decodes or raises FramingError, never anything else,
and gives the same result fed whole or one byte at a time.

The first byte of an input picks the configuration (fuzz/_harness.py), the rest
is the stream. Run:
    python fuzz/fuzz_slip.py fuzz/corpus-work/slip fuzz/corpus/slip
(libFuzzer flags such as -max_total_time=3600 apply; --random runs without atheris).
"""

from _harness import main

if __name__ == "__main__":
    main("slip")
