/* SPDX-License-Identifier: MIT */
/* STUB */
#include "testutil.h"
Test(stub, frame) { cr_assert(1); }
