"""The framing styles, one module each, all on the public contract of ``framing.core.codec``.

Sans-I/O: they turn bytes into messages and back, and never touch a socket.
"""
