// model: ring_broken_early_publish
// property: nothing lost or reordered (refuted: tail published before the record is written, as IPCTB__RING_BROKEN_EARLY_PUBLISH)
// expect: error
// sites: ring_
#define EARLY_PUBLISH
#include "ring.inc.pml"
