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
 * Each loop goes over its bytes twice with one step function (the frame
 * at a position: its payload and where the next frame starts): once to
 * count the frames, then to cut them into a list made at its size. No
 * appends, no regrowth, and nothing held per frame but the list itself.
 *
 * Written against the stable ABI (Py_LIMITED_API, Python 3.10): one
 * abi3 wheel serves every Python from 3.10 on. Only bytes objects are
 * read (PyBytes_AsStringAndSize), which the limited API of 3.10 has.
 */

#define Py_LIMITED_API 0x030A0000
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

/* What framing/core/compiled.py expects of this module: it falls back to
 * pure Python when an extension built from other sources says otherwise. */
#define SPEEDUPS_API 2

/* cut() is written once and inlined into each loop, so that its step (a
 * constant there) is inlined too: a call per frame costs as much as a step. */
#if defined(__GNUC__) || defined(__clang__)
#define ALWAYS_INLINE static inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#define ALWAYS_INLINE static __forceinline
#else
#define ALWAYS_INLINE static inline
#endif

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

/* The payload length a header declaring `declared` gives (`declared` -
 * `adjust`), or -1 if it is negative, above `max_length` or more than the
 * `available` bytes. */
static inline Py_ssize_t
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

/* One loop's rules, read by its step function. */
typedef struct {
    const unsigned char *bytes;  /* the data, and where it ends */
    Py_ssize_t end;
    Py_ssize_t max_length;  /* no payload is longer */
    Py_ssize_t adjust;  /* a length header declares the payload's length plus this */
    int size;  /* the header's (integer), the delimiter's or the frame's size */
    int big, is_signed;  /* an integer header's byte order and sign */
    int max_bytes, minimal, includes_header;  /* a varint header's rules */
    uint64_t max_value;
    const char *delimiter;
} Loop;

/* A step: the frame at `position`. Sets its payload's offset and length and
 * returns where the next frame starts, or -1 when no complete, valid frame
 * starts there (the frame-at-a-time path then reports a bad one). */
typedef Py_ssize_t (*Step)(const Loop *loop, Py_ssize_t position, Py_ssize_t *offset,
                           Py_ssize_t *length);

static inline Py_ssize_t
prefixed_step(const Loop *loop, Py_ssize_t position, Py_ssize_t *offset, Py_ssize_t *length)
{
    int size = loop->size;
    uint64_t raw;
    int64_t declared;

    if (loop->end - position < size) {
        return -1;
    }
    raw = read_unsigned(loop->bytes + position, size, loop->big);
    if (loop->is_signed) {
        if (size < 8 && (raw >> (8 * size - 1))) {
            raw |= ~(uint64_t)0 << (8 * size);  /* sign-extend */
        }
    }
    else if (raw > (uint64_t)INT64_MAX) {
        return -1;  /* far above any max_length */
    }
    declared = (int64_t)raw;
    *offset = position + size;
    *length = payload_length(declared, loop->adjust, loop->max_length, loop->end - *offset);
    return *length < 0 ? -1 : *offset + *length;
}

static inline Py_ssize_t
varint_step(const Loop *loop, Py_ssize_t position, Py_ssize_t *offset, Py_ssize_t *length)
{
    const unsigned char *header = loop->bytes + position;
    Py_ssize_t available = loop->end - position;
    uint64_t value = 0;
    Py_ssize_t size = 0;  /* the header's bytes, once its last byte is read */
    int i;

    for (i = 0; i < loop->max_bytes && i < available; i++) {
        uint64_t bits = header[i] & 0x7F;
        int shift = 7 * i;  /* at most 63: max_bytes is at most 10 */
        if (bits && (bits << shift) >> shift != bits) {
            return -1;  /* above 2**64 - 1: too large */
        }
        value |= bits << shift;
        if (header[i] < 0x80) {
            size = i + 1;
            break;
        }
    }
    if (size == 0 || value > loop->max_value || value > (uint64_t)INT64_MAX
        || (loop->minimal && size > 1 && header[size - 1] == 0)) {
        return -1;  /* incomplete, too long, too large or overlong */
    }
    *offset = position + size;
    *length = payload_length((int64_t)value - (loop->includes_header ? size : 0), loop->adjust,
                             loop->max_length, available - size);
    return *length < 0 ? -1 : *offset + *length;
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

static inline Py_ssize_t
delimited_step(const Loop *loop, Py_ssize_t position, Py_ssize_t *offset, Py_ssize_t *length)
{
    const char *start = (const char *)loop->bytes + position;
    const char *found = find(start, loop->end - position, loop->delimiter, loop->size);

    if (found == NULL || found - start > loop->max_length) {
        return -1;  /* the frame still arriving, or one too long */
    }
    *offset = position;
    *length = found - start;
    return position + *length + loop->size;
}

static inline Py_ssize_t
fixed_step(const Loop *loop, Py_ssize_t position, Py_ssize_t *offset, Py_ssize_t *length)
{
    if (loop->end - position < loop->size) {
        return -1;
    }
    *offset = position;
    *length = loop->size;
    return position + loop->size;
}

/* Every frame `step` finds from `start`: (payloads, end), or, if
 * `with_sizes`, (payloads, end, sizes), sizes holding each frame's header
 * size, a byte each (varints). NULL with an exception set on failure. */
ALWAYS_INLINE PyObject *
cut(const Loop *loop, Step step, Py_ssize_t start, int with_sizes)
{
    Py_ssize_t position = start, next, offset, length, count = 0, index;
    PyObject *payloads, *sizes = NULL;
    char *header_sizes = NULL;

    while ((next = step(loop, position, &offset, &length)) >= 0) {
        count++;
        position = next;
    }
    payloads = PyList_New(count);
    if (payloads == NULL) {
        return NULL;
    }
    if (with_sizes) {
        sizes = PyBytes_FromStringAndSize(NULL, count);
        if (sizes == NULL) {
            Py_DECREF(payloads);
            return NULL;
        }
        header_sizes = PyBytes_AsString(sizes);  /* new, so not shared yet */
    }
    position = start;
    for (index = 0; index < count; index++) {
        PyObject *payload;
        next = step(loop, position, &offset, &length);  /* as in the count */
        payload = PyBytes_FromStringAndSize((const char *)loop->bytes + offset, length);
        if (payload == NULL || PyList_SetItem(payloads, index, payload) < 0) {
            Py_DECREF(payloads);
            Py_XDECREF(sizes);
            return NULL;
        }
        if (header_sizes != NULL) {
            header_sizes[index] = (char)(offset - position);
        }
        position = next;
    }
    if (with_sizes) {
        return Py_BuildValue("(NnN)", payloads, position, sizes);
    }
    return Py_BuildValue("(Nn)", payloads, position);
}

/* The bytes of `data` in `loop`, `start` checked against them; -1 with an
 * exception set if `start` is out of them. */
static int
read_bytes(PyObject *data, Py_ssize_t start, Loop *loop)
{
    char *buffer;
    if (PyBytes_AsStringAndSize(data, &buffer, &loop->end) < 0) {
        return -1;
    }
    if (start < 0 || start > loop->end) {
        PyErr_SetString(PyExc_ValueError, "start must be within data");
        return -1;
    }
    loop->bytes = (const unsigned char *)buffer;
    return 0;
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

static PyObject *
take_prefixed(PyObject *module, PyObject *args)
{
    PyObject *data;
    Py_ssize_t start;
    Loop loop = {0};

    (void)module;
    if (!PyArg_ParseTuple(args, "O!nippnn:take_prefixed", &PyBytes_Type, &data, &start,
                          &loop.size, &loop.big, &loop.is_signed, &loop.max_length,
                          &loop.adjust)) {
        return NULL;
    }
    if (loop.size != 1 && loop.size != 2 && loop.size != 4 && loop.size != 8) {
        PyErr_SetString(PyExc_ValueError, "the header must be 1, 2, 4 or 8 bytes");
        return NULL;
    }
    if (loop.max_length < 0) {
        PyErr_SetString(PyExc_ValueError, "max_length must not be negative");
        return NULL;
    }
    if (read_bytes(data, start, &loop) < 0) {
        return NULL;
    }
    return cut(&loop, prefixed_step, start, 0);
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
    PyObject *data;
    Py_ssize_t start;
    unsigned long long max_value;
    Loop loop = {0};

    (void)module;
    if (!PyArg_ParseTuple(args, "O!nipKpnn:take_varint_prefixed", &PyBytes_Type, &data,
                          &start, &loop.max_bytes, &loop.minimal, &max_value,
                          &loop.includes_header, &loop.max_length, &loop.adjust)) {
        return NULL;
    }
    if (loop.max_bytes < 1 || loop.max_bytes > 10 || loop.max_length < 0) {
        PyErr_SetString(PyExc_ValueError,
                        "max_bytes must be 1 to 10, max_length not negative");
        return NULL;
    }
    loop.max_value = (uint64_t)max_value;
    if (read_bytes(data, start, &loop) < 0) {
        return NULL;
    }
    return cut(&loop, varint_step, start, 1);
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
    Py_ssize_t start, size;
    Loop loop = {0};

    (void)module;
    if (!PyArg_ParseTuple(args, "O!ny#n:split_delimited", &PyBytes_Type, &data, &start,
                          &loop.delimiter, &size, &loop.max_length)) {
        return NULL;
    }
    if (size < 1 || size > INT_MAX || loop.max_length < 0) {
        PyErr_SetString(PyExc_ValueError,
                        "the delimiter must not be empty, max_length not negative");
        return NULL;
    }
    loop.size = (int)size;
    if (read_bytes(data, start, &loop) < 0) {
        return NULL;
    }
    return cut(&loop, delimited_step, start, 0);
}

PyDoc_STRVAR(take_fixed_doc,
"take_fixed(data, start, size) -> (payloads, end)\n"
"\n"
"Every complete ``size``-byte frame of ``data`` from ``start``, and the\n"
"offset after the last one.");

static PyObject *
take_fixed(PyObject *module, PyObject *args)
{
    PyObject *data;
    Py_ssize_t start, size;
    Loop loop = {0};

    (void)module;
    if (!PyArg_ParseTuple(args, "O!nn:take_fixed", &PyBytes_Type, &data, &start, &size)) {
        return NULL;
    }
    if (size < 1 || size > INT_MAX) {
        PyErr_SetString(PyExc_ValueError, "frames must be at least one byte");
        return NULL;
    }
    loop.size = (int)size;
    if (read_bytes(data, start, &loop) < 0) {
        return NULL;
    }
    return cut(&loop, fixed_step, start, 0);
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
    -1,
    speedups_methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    PyObject *module = PyModule_Create(&speedups_module);
    if (module != NULL && PyModule_AddIntConstant(module, "API", SPEEDUPS_API) < 0) {
        Py_CLEAR(module);
    }
    return module;
}
