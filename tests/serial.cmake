# SPDX-License-Identifier: MIT
# Read by ctest after the discovery files (TEST_INCLUDE_FILES, in order):
# tests that race two processes in hardware need both cores to themselves,
# so ctest -j runs them alone.
set_tests_properties(
  "test_scheme_atomic_broken/scheme_atomic_broken/peterson_no_fence_loses_exclusion"
  PROPERTIES RUN_SERIAL TRUE)
