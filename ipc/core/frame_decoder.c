/* SPDX-License-Identifier: MIT */
/*
 * The built-in frame codec (frame.c) as a registry entry of kind
 * IPCTB_KIND_DECODER, named "frame", so that harnesses which take a
 * decoder find it the way they find transports. Its own file so that the
 * codec's source stays free of registry matters (the fuzz oracle
 * frame_ref.c includes frame.c as it is).
 */
#include "core/core.h"
#include "ipctb/decoder.h"

const struct ipctb_decoder_ops ipctb__frame_decoder_ops = {
    .abi = IPCTB_ABI_VERSION,
    .name = "frame",
    .summary = "the library's frame codec (ipctb/frame.h): 18-byte header, CRC32C",
    .broken = NULL,
    .encode = ipctb_frame_encode,
    .decode = ipctb_frame_decode,
};
