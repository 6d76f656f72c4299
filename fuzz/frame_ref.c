/* SPDX-License-Identifier: MIT */
/*
 * The reference oracle of fuzz_frame_stream: the library's own one-shot
 * decoder (ipc/core/frame.c, included as it is) under other names, in a
 * translation unit that cov_ignore.txt leaves without coverage
 * instrumentation. The stream target checks the incremental decoder
 * against it; tracing the oracle's comparisons as well cost about a tenth
 * of every execution and fed libFuzzer nothing that fuzz_frame_decode's
 * fully traced copy of the same code does not. ASan and UBSan still apply.
 */
#define ipctb_crc32c ref_crc32c
#define ipctb__crc32c_table ref__crc32c_table
#define ipctb__crc32c_hw ref__crc32c_hw
#define ipctb_frame_put_hdr ref_frame_put_hdr
#define ipctb_frame_encode ref_frame_encode
#define ipctb_frame_parse_hdr ref_frame_parse_hdr
#define ipctb_frame_decode ref_frame_decode
#define ipctb_frame_dec_init ref_frame_dec_init
#define ipctb_frame_dec_reset ref_frame_dec_reset
#define ipctb_frame_dec_feed ref_frame_dec_feed

#include "frame_ref.h"

#include "../ipc/core/frame.c"
