"""The core every codec stands on: the receive buffer, the codec contract, length headers.

Sans-I/O: nothing here imports ``socket``, ``selectors`` or ``asyncio``.
"""
