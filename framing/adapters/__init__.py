"""The I/O adapters: codecs on blocking sockets, ``selectors``, ``socketserver`` and asyncio."""
