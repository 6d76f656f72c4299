/* SPDX-License-Identifier: MIT */
/* STUB */
#include "testutil.h"
Test(stub, test_shim) { cr_assert(1); }
