"""Unmasked server-to-client WebSocket frames read off a byte stream: for the bare clients of the tests and the
benches, which hold thousands of sockets and cannot afford the websockets library's cost per message."""

from __future__ import annotations

import struct


def take_frames(buffer: bytes) -> tuple[list[tuple[int, bytes]], bytes]:
    """The whole frames at the start of `buffer`, as (first byte, payload), and the bytes left over."""
    frames = []
    while len(buffer) >= 2:
        length, offset = buffer[1] & 0x7F, 2
        if length == 126:
            if len(buffer) < 4:
                break
            length, offset = struct.unpack_from("!H", buffer, 2)[0], 4
        elif length == 127:
            if len(buffer) < 10:
                break
            length, offset = struct.unpack_from("!Q", buffer, 2)[0], 10
        if len(buffer) < offset + length:
            break
        frames.append((buffer[0], buffer[offset:offset + length]))
        buffer = buffer[offset + length:]
    return frames, buffer
