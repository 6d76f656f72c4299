/* SPDX-License-Identifier: MIT */
/*
 * Negative control, not a target: fuzz_frame_stream over a twin of
 * ipc/core/frame.c built with IPCTB__FRAME_BROKEN_VERSION, whose header parser
 * (shared by the incremental and the one-shot decoder) also accepts
 * version 2. Only the independent oracle (frame_ref.c) still rejects it,
 * so the differential check must fail (see fuzz/CMakeLists.txt).
 */
#include "fuzz_frame_stream.c"
