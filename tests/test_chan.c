/* SPDX-License-Identifier: MIT */
/* STUB */
#include "testutil.h"
Test(stub, test_chan) { cr_assert(1); }
