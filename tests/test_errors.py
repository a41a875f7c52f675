"""The exception hierarchy: types, structured fields, messages, pickling."""

from __future__ import annotations

import pickle

import pytest

import framing
import framing.errors
from framing import (
    ConnectionClosed,
    EncodeError,
    FrameTooLarge,
    FramingError,
    IncompleteFrame,
    InvalidFrame,
)

ERRORS = [FrameTooLarge, InvalidFrame, IncompleteFrame, ConnectionClosed, EncodeError]


@pytest.mark.parametrize("error", ERRORS)
def test_every_error_is_a_framing_error(error: type[Exception]) -> None:
    assert issubclass(error, FramingError)
    assert issubclass(FramingError, Exception)


@pytest.mark.parametrize("name", ["FramingError", *(e.__name__ for e in ERRORS)])
def test_errors_are_reexported_from_the_package(name: str) -> None:
    assert getattr(framing, name) is getattr(framing.errors, name)


@pytest.mark.parametrize("error", [IncompleteFrame, ConnectionClosed])
def test_end_of_stream_errors_are_eof_errors(error: type[Exception]) -> None:
    assert issubclass(error, EOFError)


def test_encode_error_is_a_value_error() -> None:
    assert issubclass(EncodeError, ValueError)


@pytest.mark.parametrize("error", [FrameTooLarge, InvalidFrame, EncodeError])
def test_errors_about_frames_are_not_eof_errors(error: type[Exception]) -> None:
    assert not issubclass(error, EOFError)


def test_frame_too_large_carries_length_and_limit() -> None:
    error = FrameTooLarge(70000, 65536)
    assert (error.length, error.max_length) == (70000, 65536)


def test_frame_too_large_message_has_the_numbers() -> None:
    text = str(FrameTooLarge(70000, 65536))
    assert "70000" in text
    assert "65536" in text


def test_incomplete_frame_carries_the_partial_bytes() -> None:
    assert IncompleteFrame(b"3:ab").partial == b"3:ab"


def test_incomplete_frame_message_has_the_byte_count() -> None:
    assert "4" in str(IncompleteFrame(b"3:ab"))


def test_invalid_frame_keeps_its_message() -> None:
    assert str(InvalidFrame("leading zero in length")) == "leading zero in length"


def _roundtrip(error: Exception) -> Exception:
    result: Exception = pickle.loads(pickle.dumps(error))
    assert type(result) is type(error)
    assert str(result) == str(error)
    return result


def test_frame_too_large_pickles_with_its_fields() -> None:
    error = _roundtrip(FrameTooLarge(5, 4))
    assert isinstance(error, FrameTooLarge)
    assert (error.length, error.max_length) == (5, 4)


def test_incomplete_frame_pickles_with_its_partial() -> None:
    error = _roundtrip(IncompleteFrame(b"\x00\x01"))
    assert isinstance(error, IncompleteFrame)
    assert error.partial == b"\x00\x01"


@pytest.mark.parametrize("error", [InvalidFrame("bad escape"), EncodeError("too long")])
def test_message_only_errors_pickle(error: Exception) -> None:
    _roundtrip(error)
