/*
 * framing._speedups: the optional compiled core (issue 16).
 *
 * One loop, the hottest of the pure-Python decoders: every complete
 * length-prefixed frame of a bytes object, cut out at once. It is the C
 * twin of ReceiveBuffer._take_prefixed in framing/core/buffer.py, which
 * stays the reference: the test suite runs with and without this module,
 * and tests/test_compiled.py checks both on the same streams.
 *
 * Written against the stable ABI (Py_LIMITED_API, Python 3.10): one
 * abi3 wheel serves every Python from 3.10 on. Only bytes objects are
 * read (PyBytes_AsStringAndSize), which the limited API of 3.10 has.
 */

#define Py_LIMITED_API 0x030A0000
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

/* The integer of `size` bytes at `p`, big- or little-endian. */
static uint64_t
read_unsigned(const unsigned char *p, int size, int big)
{
    uint64_t value = 0;
    int i;
    if (big) {
        for (i = 0; i < size; i++) {
            value = (value << 8) | p[i];
        }
    }
    else {
        for (i = size - 1; i >= 0; i--) {
            value = (value << 8) | p[i];
        }
    }
    return value;
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
    Py_ssize_t start, max_length, adjust;
    int size, big, is_signed;
    char *buffer;
    Py_ssize_t end, position;
    PyObject *payloads;

    (void)module;
    if (!PyArg_ParseTuple(args, "O!nippnn:take_prefixed", &PyBytes_Type, &data, &start,
                          &size, &big, &is_signed, &max_length, &adjust)) {
        return NULL;
    }
    if (size != 1 && size != 2 && size != 4 && size != 8) {
        PyErr_SetString(PyExc_ValueError, "the header must be 1, 2, 4 or 8 bytes");
        return NULL;
    }
    if (PyBytes_AsStringAndSize(data, &buffer, &end) < 0) {
        return NULL;
    }
    if (start < 0 || start > end || max_length < 0) {
        PyErr_SetString(PyExc_ValueError, "start must be within data, max_length positive");
        return NULL;
    }
    payloads = PyList_New(0);
    if (payloads == NULL) {
        return NULL;
    }
    position = start;
    while (end - position >= size) {
        const unsigned char *header = (const unsigned char *)buffer + position;
        uint64_t raw = read_unsigned(header, size, big);
        int64_t declared;
        int64_t length;
        PyObject *payload;

        if (is_signed) {
            if (size < 8 && (raw >> (8 * size - 1))) {
                raw |= ~(uint64_t)0 << (8 * size);  /* sign-extend */
            }
            declared = (int64_t)raw;
        }
        else {
            if (raw > (uint64_t)INT64_MAX) {
                break;  /* far above any max_length: the Python path reports it */
            }
            declared = (int64_t)raw;
        }
        if ((adjust > 0 && declared < INT64_MIN + adjust)
            || (adjust < 0 && declared > INT64_MAX + adjust)) {
            break;
        }
        length = declared - adjust;
        if (length < 0 || length > max_length || length > end - position - size) {
            break;  /* bad or incomplete: left to the frame-at-a-time path */
        }
        payload = PyBytes_FromStringAndSize((const char *)header + size, (Py_ssize_t)length);
        if (payload == NULL) {
            Py_DECREF(payloads);
            return NULL;
        }
        if (PyList_Append(payloads, payload) < 0) {
            Py_DECREF(payload);
            Py_DECREF(payloads);
            return NULL;
        }
        Py_DECREF(payload);
        position += size + (Py_ssize_t)length;
    }
    return Py_BuildValue("(Nn)", payloads, position);
}

static PyMethodDef speedups_methods[] = {
    {"take_prefixed", take_prefixed, METH_VARARGS, take_prefixed_doc},
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
