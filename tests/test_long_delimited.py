"""Long delimited frames, collected as their chunks arrive, through the public API.

A frame that has run past a few KiB without its delimiter is kept as the
chunks fed (joined once when it ends), each chunk searched as it comes. A
delimiter of several bytes may then be split across two chunks, or two
collected pieces, anywhere: these tests cut streams at every kind of place
and compare with ``bytes.split``, the obvious decoder of a whole stream.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from framing import COBS, SLIP, Delimited, FrameTooLarge, Lines

MIB = 1024 * 1024
DELIMITERS = [b"\r\n", b"\r\n\r\n", b"--X--", b"aa", b"aba"]
# Long runs (collected) and short bits built from the delimiters' own bytes,
# so that partial delimiters sit next to chunk boundaries.
SEGMENTS = st.sampled_from(
    [b"x" * 5000, b"y" * 20_000, b"\r", b"\n", b"\r\n", b"-", b"--X-", b"a", b"b", b"ab", b"x"]
)
# Small chunks are gathered into one piece, large ones start pieces of their own.
CHUNK_SIZES = st.lists(
    st.sampled_from([1, 2, 3, 7, 64, 1023, 1024, 1025, 4096, 30_000]), min_size=1
)


def cut(wire: bytes, sizes: list[int]) -> list[bytes]:
    """``wire`` in chunks of the given sizes, cycled."""
    chunks, start, index = [], 0, 0
    while start < len(wire):
        size = sizes[index % len(sizes)]
        chunks.append(wire[start : start + size])
        start += size
        index += 1
    return chunks


@settings(max_examples=300, deadline=None)
@given(
    delimiter=st.sampled_from(DELIMITERS),
    segments=st.lists(SEGMENTS, max_size=30),
    sizes=CHUNK_SIZES,
)
def test_long_frames_split_as_bytes_split_does_in_any_chunks(
    delimiter: bytes, segments: list[bytes], sizes: list[int]
) -> None:
    wire = b"".join(segments)
    decoder = Delimited(delimiter, max_length=MIB).decoder()
    got: list[bytes] = []
    for chunk in cut(wire, sizes):
        decoder.feed(chunk)
        got += decoder
    *frames, rest = wire.split(delimiter)
    assert got == frames
    assert decoder.buffered == len(rest)
    assert decoder.detach() == rest


@settings(max_examples=100, deadline=None)
@given(sizes=CHUNK_SIZES, split_at=st.integers(1, 3))
def test_a_delimiter_split_across_two_large_chunks_ends_the_frame(
    sizes: list[int], split_at: int
) -> None:
    delimiter = b"\r\n\r\n"
    frame = b"h" * 9000
    wire = frame + delimiter + b"next" + delimiter
    cut_at = len(frame) + split_at
    decoder = Delimited(delimiter, max_length=MIB).decoder()
    got: list[bytes] = []
    for chunk in [*cut(wire[:cut_at], sizes), wire[cut_at:]]:
        decoder.feed(chunk)
        got += decoder
    assert got == [frame, b"next"]


def test_a_long_cobs_frame_over_the_limit_is_too_large_once() -> None:
    codec = COBS(max_length=10_000)
    wire = COBS(max_length=MIB).encode(bytes(range(1, 256)) * 60) + COBS().encode(b"ok")
    decoder = codec.decoder()
    lengths, got = [], []
    for start in range(0, len(wire), 64):
        decoder.feed(wire[start : start + 64])
        try:
            got += decoder
        except FrameTooLarge as error:
            lengths.append(error.length)
    assert len(lengths) == 1
    assert lengths[0] > codec.max_length
    assert got == [b"ok"]


def test_a_long_slip_frame_of_escapes_over_the_limit_is_too_large_once() -> None:
    codec = SLIP(max_length=10_000)
    payload = b"\xc0" * 6000  # 12,000 wire bytes: longer than the limit on the wire only
    wire = SLIP(max_length=MIB).encode(payload) + SLIP(max_length=MIB).encode(payload * 2)
    decoder = codec.decoder()
    errors, got = 0, []
    for start in range(0, len(wire), 64):
        decoder.feed(wire[start : start + 64])
        try:
            got += decoder
        except FrameTooLarge:
            errors += 1
    assert (errors, got) == (1, [payload])


def test_a_delimiter_split_over_small_and_large_chunks_is_found_wherever_it_is_cut() -> None:
    frame = b"x" * 9000  # collected: longer than a short frame without its delimiter
    patterns = [[1], [2], [1, 1025], [1025, 1], [2, 1025], [1, 1, 1025], [1025, 1, 2], [3, 1025]]
    for delimiter in DELIMITERS:
        wire = frame + delimiter + b"next" + delimiter
        for start in range(len(frame) - 5, len(frame) + 1):
            for pattern in patterns:
                decoder = Delimited(delimiter, max_length=MIB).decoder()
                got: list[bytes] = []
                for chunk in [wire[:start], *cut(wire[start:], pattern)]:
                    decoder.feed(chunk)
                    got += decoder
                assert got == [frame, b"next"], (delimiter, start, pattern)


def test_a_long_crlf_line_whose_lf_comes_alone_is_read_without_its_cr() -> None:
    line = b"x" * 9000
    for chunks in (
        [line[:5000], line[5000:] + b"\r", b"\n"],  # the CR at the end of the piece before
        [line[:5000], line[5000:], b"\r", b"\n"],  # CR and LF each gathered
        [line[:5000], line[5000:] + b"\r", b"\n" + b"y" * 2000, b"\r\n"],
    ):
        decoder = Lines(max_length=MIB).decoder()
        got: list[bytes] = []
        for chunk in chunks:
            decoder.feed(chunk)
            got += decoder
        assert got[0] == line
        assert decoder.buffered == 0 or got[1:] == [b"y" * 2000]


def test_a_slip_packet_of_bad_escapes_over_the_limit_is_too_large_then_decoding_goes_on() -> None:
    # 16 wire bytes, 8 of them ESC: one byte per ESC could bring it under the
    # limit, but the escapes are bad, so the payload is all 16 bytes.
    codec = SLIP(max_length=10)
    decoder = codec.decoder()
    decoder.feed(b"\xc0" + b"\xdb\x00" * 8 + b"\xc0" + codec.encode(b"ok"))
    lengths = []
    try:
        list(decoder)
    except FrameTooLarge as error:
        lengths.append(error.length)
    assert lengths == [16]
    assert list(decoder) == [b"ok"]
