/*
 * framing._speedups: the optional compiled core (issue 16).
 *
 * The batch loops of the hottest pure-Python decoders: every complete
 * frame of a bytes object, cut out at once, for length-prefixed (integer
 * and varint headers), delimited (and line) and fixed-length frames. Each
 * is the C twin of a Python function in framing/core/compiled.py
 * (take_prefixed_python, take_varint_prefixed_python,
 * split_delimited_python, take_fixed_python), which stays the reference:
 * tests/test_compiled.py checks each pair on the same bytes, and the test
 * suite runs with and without this module (the pure core decodes with
 * the twins; delimited frames with bytes.split, as the twin does).
 *
 * Written against the stable ABI (Py_LIMITED_API, Python 3.10): one
 * abi3 wheel serves every Python from 3.10 on. Only bytes objects are
 * read (PyBytes_AsStringAndSize), which the limited API of 3.10 has.
 */

#define Py_LIMITED_API 0x030A0000
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <string.h>

/* The integer of `size` bytes (1, 2, 4 or 8) at `p`, big- or little-endian. */
static inline uint64_t
read_unsigned(const unsigned char *p, int size, int big)
{
    switch (size) {
    case 1:
        return p[0];
    case 2:
        return big ? (uint64_t)p[0] << 8 | p[1] : (uint64_t)p[1] << 8 | p[0];
    case 4:
        return big ? (uint64_t)p[0] << 24 | (uint64_t)p[1] << 16 | (uint64_t)p[2] << 8 | p[3]
                   : (uint64_t)p[3] << 24 | (uint64_t)p[2] << 16 | (uint64_t)p[1] << 8 | p[0];
    default: {
        uint64_t value = 0;
        int i;
        for (i = 0; i < 8; i++) {
            value = value << 8 | p[big ? i : 7 - i];
        }
        return value;
    }
    }
}

/* The frames a loop found, as (offset, length) spans of its bytes. Each loop
 * finds them all first, then makes the list of payloads at its size and sets
 * each in place (payload_list): no appends, no regrowth of the list. */
typedef struct {
    Py_ssize_t offset;
    Py_ssize_t length;
} Span;

typedef struct {
    Span *items;
    Py_ssize_t count;
    Py_ssize_t capacity;
} Spans;

/* Add a span; -1 with MemoryError set (and the spans freed) on failure. */
static int
spans_add(Spans *spans, Py_ssize_t offset, Py_ssize_t length)
{
    if (spans->count == spans->capacity) {
        Py_ssize_t larger = spans->capacity ? 2 * spans->capacity : 64;
        Span *grown = PyMem_Realloc(spans->items, (size_t)larger * sizeof(Span));
        if (grown == NULL) {
            PyMem_Free(spans->items);
            spans->items = NULL;
            PyErr_NoMemory();
            return -1;
        }
        spans->items = grown;
        spans->capacity = larger;
    }
    spans->items[spans->count].offset = offset;
    spans->items[spans->count].length = length;
    spans->count++;
    return 0;
}

/* The payloads the spans mark in `buffer`, a list; NULL with an exception
 * set on failure. The spans are freed either way. */
static PyObject *
payload_list(const char *buffer, Spans *spans)
{
    PyObject *payloads = PyList_New(spans->count);
    Py_ssize_t index;

    for (index = 0; payloads != NULL && index < spans->count; index++) {
        const Span *span = &spans->items[index];
        PyObject *payload = PyBytes_FromStringAndSize(buffer + span->offset, span->length);
        if (payload == NULL || PyList_SetItem(payloads, index, payload) < 0) {
            Py_CLEAR(payloads);
        }
    }
    PyMem_Free(spans->items);
    spans->items = NULL;
    return payloads;
}

/* (payload_list(...), end) as a tuple; NULL with an exception set on failure. */
static PyObject *
payloads_and_end(const char *buffer, Spans *spans, Py_ssize_t end)
{
    PyObject *payloads = payload_list(buffer, spans);
    if (payloads == NULL) {
        return NULL;
    }
    return Py_BuildValue("(Nn)", payloads, end);
}

/* The bytes of `data` as a pointer and size, `start` checked against them. */
static int
read_bytes(PyObject *data, Py_ssize_t start, char **buffer, Py_ssize_t *end)
{
    if (PyBytes_AsStringAndSize(data, buffer, end) < 0) {
        return -1;
    }
    if (start < 0 || start > *end) {
        PyErr_SetString(PyExc_ValueError, "start must be within data");
        return -1;
    }
    return 0;
}

/* The payload length a header declaring `declared` gives (`declared` -
 * `adjust`), or -1 if it is negative, above `max_length` or more than the
 * `available` bytes. */
static Py_ssize_t
payload_length(int64_t declared, Py_ssize_t adjust, Py_ssize_t max_length,
               Py_ssize_t available)
{
    int64_t length;
    if ((adjust > 0 && declared < INT64_MIN + adjust)
        || (adjust < 0 && declared > INT64_MAX + adjust)) {
        return -1;
    }
    length = declared - adjust;
    if (length < 0 || length > max_length || length > available) {
        return -1;
    }
    return (Py_ssize_t)length;
}

PyDoc_STRVAR(take_prefixed_doc,
"take_prefixed(data, start, size, big, signed, max_length, adjust) -> (payloads, end)\n"
"\n"
"Every complete frame of ``data`` from ``start``: a ``size``-byte integer\n"
"header (1, 2, 4 or 8 bytes; big-endian if ``big``; two's complement if\n"
"``signed``) declaring the payload's length plus ``adjust``, then the\n"
"payload. Stops before the first frame that is incomplete or whose payload\n"
"length is negative or above ``max_length``. Returns the payloads and the\n"
"offset after the last frame taken.");

/* The payload length of the frame whose header starts at `header`, with
 * `available` bytes from there; -1 if it is incomplete or bad. */
static Py_ssize_t
prefixed_length(const unsigned char *header, Py_ssize_t available, int size, int big,
                int is_signed, Py_ssize_t max_length, Py_ssize_t adjust)
{
    uint64_t raw;
    int64_t declared;

    if (available < size) {
        return -1;
    }
    raw = read_unsigned(header, size, big);
    if (is_signed) {
        if (size < 8 && (raw >> (8 * size - 1))) {
            raw |= ~(uint64_t)0 << (8 * size);  /* sign-extend */
        }
        declared = (int64_t)raw;
    }
    else {
        if (raw > (uint64_t)INT64_MAX) {
            return -1;  /* far above any max_length: the Python path reports it */
        }
        declared = (int64_t)raw;
    }
    return payload_length(declared, adjust, max_length, available - size);
}

static PyObject *
take_prefixed(PyObject *module, PyObject *args)
{
    PyObject *data;
    Py_ssize_t start, max_length, adjust, end, position, length;
    int size, big, is_signed;
    const unsigned char *bytes;
    char *buffer;
    Spans spans = {NULL, 0, 0};

    (void)module;
    if (!PyArg_ParseTuple(args, "O!nippnn:take_prefixed", &PyBytes_Type, &data, &start,
                          &size, &big, &is_signed, &max_length, &adjust)) {
        return NULL;
    }
    if (size != 1 && size != 2 && size != 4 && size != 8) {
        PyErr_SetString(PyExc_ValueError, "the header must be 1, 2, 4 or 8 bytes");
        return NULL;
    }
    if (read_bytes(data, start, &buffer, &end) < 0) {
        return NULL;
    }
    if (max_length < 0) {
        PyErr_SetString(PyExc_ValueError, "max_length must not be negative");
        return NULL;
    }
    bytes = (const unsigned char *)buffer;
    /* A bad or incomplete frame ends the loop: the frame-at-a-time path reports it. */
    position = start;
    while ((length = prefixed_length(bytes + position, end - position, size, big, is_signed,
                                     max_length, adjust)) >= 0) {
        if (spans_add(&spans, position + size, length) < 0) {
            return NULL;
        }
        position += size + length;
    }
    return payloads_and_end(buffer, &spans, position);
}

PyDoc_STRVAR(take_varint_prefixed_doc,
"take_varint_prefixed(data, start, max_bytes, minimal, max_value, includes_header,\n"
"                     max_length, adjust) -> (payloads, end, sizes)\n"
"\n"
"Every complete frame of ``data`` from ``start``: an unsigned LEB128 header\n"
"of at most ``max_bytes`` bytes (1 to 10; overlong forms refused if\n"
"``minimal``) declaring at most ``max_value``, which is the payload's length\n"
"plus ``adjust`` (plus the header's size if ``includes_header``), then the\n"
"payload. Stops before the first frame that is incomplete or bad (a header\n"
"too long, too large or overlong, a payload length negative or above\n"
"``max_length``). Returns the payloads, the offset after the last frame\n"
"taken, and each frame's header size (a byte each, in a bytes object).");

static PyObject *
take_varint_prefixed(PyObject *module, PyObject *args)
{
    PyObject *data, *payloads, *sizes;
    Py_ssize_t start, max_length, adjust, end, position, index, previous;
    int max_bytes, minimal, includes_header;
    unsigned long long max_value;
    char *buffer, *header_sizes;
    Spans spans = {NULL, 0, 0};

    (void)module;
    if (!PyArg_ParseTuple(args, "O!nipKpnn:take_varint_prefixed", &PyBytes_Type, &data,
                          &start, &max_bytes, &minimal, &max_value, &includes_header,
                          &max_length, &adjust)) {
        return NULL;
    }
    if (max_bytes < 1 || max_bytes > 10 || max_length < 0) {
        PyErr_SetString(PyExc_ValueError,
                        "max_bytes must be 1 to 10, max_length not negative");
        return NULL;
    }
    if (read_bytes(data, start, &buffer, &end) < 0) {
        return NULL;
    }
    position = start;
    for (;;) {
        const unsigned char *header = (const unsigned char *)buffer + position;
        Py_ssize_t available = end - position;
        uint64_t value = 0;
        Py_ssize_t size = 0;  /* the header's bytes, once its last byte is read */
        Py_ssize_t length;
        int i;

        for (i = 0; i < max_bytes && i < available; i++) {
            uint64_t bits = header[i] & 0x7F;
            int shift = 7 * i;
            if (bits && (shift >= 64 || (bits << shift) >> shift != bits)) {
                break;  /* above 2**64 - 1: too large, the Python path reports it */
            }
            value |= bits << shift;
            if (header[i] < 0x80) {
                size = i + 1;
                break;
            }
        }
        if (size == 0 || value > max_value || value > (uint64_t)INT64_MAX
            || (minimal && size > 1 && header[size - 1] == 0)) {
            break;  /* incomplete, or a bad header: left to the frame-at-a-time path */
        }
        length = payload_length((int64_t)value - (includes_header ? size : 0), adjust,
                                max_length, available - size);
        if (length < 0) {
            break;
        }
        if (spans_add(&spans, position + size, length) < 0) {
            return NULL;
        }
        position += size + length;
    }
    /* Each header's size: from the end of the frame before to its payload. */
    sizes = PyBytes_FromStringAndSize(NULL, spans.count);
    if (sizes == NULL) {
        PyMem_Free(spans.items);
        return NULL;
    }
    header_sizes = PyBytes_AsString(sizes);
    previous = start;
    for (index = 0; index < spans.count; index++) {
        header_sizes[index] = (char)(spans.items[index].offset - previous);
        previous = spans.items[index].offset + spans.items[index].length;
    }
    payloads = payload_list(buffer, &spans);
    if (payloads == NULL) {
        Py_DECREF(sizes);
        return NULL;
    }
    return Py_BuildValue("(NnN)", payloads, position, sizes);
}

/* The first `needle` (of `size` >= 1 bytes) in p[:length], or NULL. */
static const char *
find(const char *p, Py_ssize_t length, const char *needle, Py_ssize_t size)
{
    const char *end = p + length;
    while (end - p >= size) {
        p = memchr(p, (unsigned char)needle[0], (size_t)(end - p - size + 1));
        if (p == NULL || memcmp(p + 1, needle + 1, (size_t)(size - 1)) == 0) {
            return p;
        }
        p++;
    }
    return NULL;
}

PyDoc_STRVAR(split_delimited_doc,
"split_delimited(data, start, delimiter, max_length) -> (payloads, end)\n"
"\n"
"Every complete frame of ``data`` from ``start``: a payload followed by\n"
"``delimiter``, found left to right as ``bytes.split`` finds it. Stops\n"
"before the first payload longer than ``max_length``, and at the last\n"
"delimiter. Returns the payloads and the offset after the last frame\n"
"taken.");

static PyObject *
split_delimited(PyObject *module, PyObject *args)
{
    PyObject *data;
    Py_ssize_t start, max_length, size, end, position;
    const char *delimiter;
    char *buffer;
    Spans spans = {NULL, 0, 0};

    (void)module;
    if (!PyArg_ParseTuple(args, "O!ny#n:split_delimited", &PyBytes_Type, &data, &start,
                          &delimiter, &size, &max_length)) {
        return NULL;
    }
    if (size < 1 || max_length < 0) {
        PyErr_SetString(PyExc_ValueError,
                        "the delimiter must not be empty, max_length not negative");
        return NULL;
    }
    if (read_bytes(data, start, &buffer, &end) < 0) {
        return NULL;
    }
    position = start;
    for (;;) {
        const char *found = find(buffer + position, end - position, delimiter, size);
        Py_ssize_t length;
        if (found == NULL) {
            break;  /* the rest is the frame still arriving */
        }
        length = found - (buffer + position);
        if (length > max_length) {
            break;  /* too long: left to the frame-at-a-time path, which reports it */
        }
        if (spans_add(&spans, position, length) < 0) {
            return NULL;
        }
        position += length + size;
    }
    return payloads_and_end(buffer, &spans, position);
}

PyDoc_STRVAR(take_fixed_doc,
"take_fixed(data, start, size) -> (payloads, end)\n"
"\n"
"Every complete ``size``-byte frame of ``data`` from ``start``, and the\n"
"offset after the last one.");

static PyObject *
take_fixed(PyObject *module, PyObject *args)
{
    PyObject *data, *payloads;
    Py_ssize_t start, size, end, count, index;
    char *buffer;

    (void)module;
    if (!PyArg_ParseTuple(args, "O!nn:take_fixed", &PyBytes_Type, &data, &start, &size)) {
        return NULL;
    }
    if (size < 1) {
        PyErr_SetString(PyExc_ValueError, "frames must be at least one byte");
        return NULL;
    }
    if (read_bytes(data, start, &buffer, &end) < 0) {
        return NULL;
    }
    count = (end - start) / size;
    payloads = PyList_New(count);
    for (index = 0; payloads != NULL && index < count; index++) {
        PyObject *payload = PyBytes_FromStringAndSize(buffer + start + index * size, size);
        if (payload == NULL || PyList_SetItem(payloads, index, payload) < 0) {
            Py_CLEAR(payloads);
        }
    }
    if (payloads == NULL) {
        return NULL;
    }
    return Py_BuildValue("(Nn)", payloads, start + count * size);
}

static PyMethodDef speedups_methods[] = {
    {"take_prefixed", take_prefixed, METH_VARARGS, take_prefixed_doc},
    {"take_varint_prefixed", take_varint_prefixed, METH_VARARGS, take_varint_prefixed_doc},
    {"split_delimited", split_delimited, METH_VARARGS, split_delimited_doc},
    {"take_fixed", take_fixed, METH_VARARGS, take_fixed_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    "framing._speedups",
    "The optional compiled core of framing: C twins of the hottest decoder loops.",
    0,
    speedups_methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModuleDef_Init(&speedups_module);
}
