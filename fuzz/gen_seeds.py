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
    # Hostile shm ring: geometry byte, u16 max_msg, then ops (see
    # fuzz_shm_ring.c): 0 push(u8 len, bytes) 2 pop 4 scribble(u16 off,
    # u8 len, bytes) 5 move(u8 how, u16 arg) 6 header(u8 which, u16 v)
    # 7 lying length(u16); 0x80 on push/pop/lie selects the variant.
    def push(b):
        return bytes([0, len(b)]) + b
    POP = bytes([2])
    geo = bytes([1]) + struct.pack("<H", 40)  # 128-byte data area
    ring = {
        "push-pop-empty": geo + push(b"hello") + POP + POP,
        "wrap-around": geo + (push(b"A" * 30) + push(b"B" * 17) + POP + POP) * 6,
        "fill-until-full": geo + push(b"x" * 40) * 4 + POP * 5,
        "pop-too-small": geo + push(b"y" * 20) + bytes([0x82]) + struct.pack("<H", 3) + POP,
        "lying-length": geo + push(b"z" * 8) + bytes([0x87]) + struct.pack("<H", 0) + POP,
        "rewind-head": geo + push(b"abc") + POP + bytes([5, 0]) + struct.pack("<H", 1) + POP,
        "tail-far-ahead": geo + bytes([5, 3]) + struct.pack("<H", 9) + POP,
        "capacity-lie": geo + push(b"q") + bytes([6, 0]) + struct.pack("<H", 4096) + POP,
        "scribble-data": geo + push(b"data") + bytes([4]) + struct.pack("<H", 300) + bytes([4]) + b"\xff" * 4 + POP,
    }
    for name, data in ring.items():
        write("fuzz_shm_ring", name, data)
        write("fuzz_shm_ring_interleave", name, data)
    # Op streams over each transport: u8 max_msg selector (max = 1 + 4*sel),
    # then ops (fuzz_chan_ops.c): 0 send(u16 len, bytes) 2 recv
    # [0x40: u16 cap] 4 oversized(u8) 5 close(odd u8) or shim(even u8,
    # u8 nth, u8 every, [u8 short]); 0x80 makes send/recv blocking.
    def send(b, block=False):
        return bytes([0x80 if block else 0]) + struct.pack("<H", len(b)) + b
    RECV = bytes([2])
    sel = bytes([16])  # max_msg 65
    opstreams = {
        "send-recv": sel + send(b"hello") + RECV + RECV,
        "empty-message": sel + send(b"") + RECV,
        "many-sizes": sel + b"".join(send(bytes([i]) * (i * 7 % 66)) for i in range(12)) + RECV * 13,
        "recv-small-buffer": sel + send(b"s" * 20) + bytes([0x42]) + struct.pack("<H", 3) + RECV,
        "oversized": sel + bytes([4, 3]) + send(b"ok") + RECV,
        "close-rx-then-send": sel + send(b"a") + bytes([5, 3]) + send(b"b"),
        "close-tx-then-drain": sel + send(b"a") + send(b"bb") + bytes([5, 1]) + RECV * 3,
        "eintr": sel + bytes([5, 0, 0, 1]) + send(b"e" * 30) + RECV + send(b"f") + RECV,
        "short-io": sel + bytes([5, 2, 0, 1, 2]) + send(b"g" * 60) + send(b"h" * 9) + RECV * 2,
        "blocking": sel + send(b"blk", block=True) + bytes([0x82]) + RECV,
    }
    for t in ("pipe", "fifo", "unix_stream", "unix_dgram", "unix_seqpacket",
              "tcp", "sysv_msg", "posix_mq", "shm_sysv", "shm_posix",
              "shm_memfd"):
        for name, data in opstreams.items():
            write("fuzz_ops_" + t, name, data)
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
