/* SPDX-License-Identifier: MIT */
/* STUB */
#include "testutil.h"
Test(stub, test_limits) { cr_assert(1); }
