#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Write the hand-made seed inputs of the frame targets into fuzz/corpus/.

Run once when the wire format changes: `python3 fuzz/gen_seeds.py`. The
files it writes are checked in; inputs the fuzzer found later live beside
them (merged back by ci/fuzz-campaign). Names say what each seed exercises.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
MAGIC, VERSION, HDR = 0x7B1C, 1, 18


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1))
    return crc ^ 0xFFFFFFFF


def frame(payload=b"", ftype=0, seq=0, magic=MAGIC, version=VERSION,
          flags=0, length=None, crc=None):
    length = len(payload) if length is None else length
    head = struct.pack("<HBBHII", magic, version, ftype, flags, length, seq)
    if crc is None:
        crc = crc32c(payload, crc32c(head))
    return head + struct.pack("<I", crc) + payload


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def wire_seeds():
    hello = frame(b"hello", ftype=1, seq=1)
    return {
        "empty-frame": frame(),
        "hello": hello,
        "two-frames": frame(b"one", seq=1) + frame(b"two", ftype=2, seq=2),
        "max-len-256": frame(bytes(range(256)), seq=7),
        "too-long-257": frame(bytes(257)),
        "bad-crc": frame(b"hello", crc=0xDEADBEEF),
        "bad-magic": frame(b"x", magic=0x1C7B),
        "bad-version": frame(b"x", version=2),
        "flags-set": frame(b"x", flags=1),
        "truncated-header": hello[:10],
        "truncated-body": hello[:-2],
        "frame-then-garbage": hello + b"\x00\xff" * 8,
        "len-huge": frame(b"", length=0xFFFFFFFF),
    }


def main():
    wire = wire_seeds()
    for name, data in wire.items():
        write("fuzz_frame_decode", name, data)
    # Stream: 8 chunk sizes, 1 buffer-size selector, then wire bytes.
    plans = {
        "bytewise": bytes([1] * 8),
        "mixed": bytes([0, 3, 17, 18, 19, 1, 64, 255]),
        "whole": bytes([255] * 8),
    }
    for pname, plan in plans.items():
        for wname in ("hello", "two-frames", "bad-crc", "truncated-body",
                      "empty-frame"):
            write("fuzz_frame_stream", f"{pname}-{wname}",
                  plan + bytes([0x80]) + wire[wname])
    write("fuzz_frame_stream", "cap5-hello", plans["mixed"] + b"\x05" + wire["hello"])
    write("fuzz_frame_stream", "cap4-too-long", plans["mixed"] + b"\x04" + wire["hello"])
    write("fuzz_frame_stream", "cap-big-max-256", plans["whole"] + b"\x80" + wire["max-len-256"])
    # Round trip: plan, then records (type, mode, [seq], u16 len, bytes).
    def rec(ftype, payload, seq=None, mode=0):
        r = bytes([ftype, mode | (1 if seq is not None else 0)])
        if seq is not None:
            r += struct.pack("<I", seq)
        return r + struct.pack("<H", len(payload)) + payload
    write("fuzz_frame_roundtrip", "one-message", plans["mixed"] + rec(1, b"hello"))
    write("fuzz_frame_roundtrip", "empty-messages",
          plans["bytewise"] + rec(0, b"") + rec(0, b"", mode=2) + rec(9, b""))
    write("fuzz_frame_roundtrip", "seq-wrap",
          plans["mixed"] + rec(3, b"a", seq=0xFFFFFFFF) + rec(3, b"b"))
    write("fuzz_frame_roundtrip", "big-and-small",
          plans["whole"] + rec(2, bytes(range(256)) * 7, mode=2) + rec(2, b"z"))
    # Negative control: valid frames that do not yet trigger the bug.
    neg = os.path.join(HERE, "negative", "fuzz_frame_broken", "corpus")
    os.makedirs(neg, exist_ok=True)
    for name in ("hello", "two-frames"):
        with open(os.path.join(neg, name), "wb") as f:
            f.write(wire[name])
    # The input that proves the off-by-one: a 33-byte frame into 32 bytes.
    crash = os.path.join(HERE, "negative", "fuzz_frame_broken", "crash")
    os.makedirs(crash, exist_ok=True)
    with open(os.path.join(crash, "overflow-len-cap-plus-one"), "wb") as f:
        f.write(frame(bytes(33)))


if __name__ == "__main__":
    main()
