// Folding of linear layers that feed each other with no activation between them.
//
// Integer mode (docs/number-format.md) keeps every tensor between stages as spikes, pixels
// or pool sums; a pre-activation current (the output of a Conv / Linear / Add) has no
// integer tensor form. A Conv or Linear reading such a current is one linear map of the
// current's own sources, so it is rewritten here as Conv / Linear nodes that read those
// sources directly (the composition of the two kernels), summed by Add nodes:
//
//   Linear2(Conv1(x) + b1) + b2  ->  Linear'(x) + (b2 + W2 b1)
//   Conv2(Add(Conv1(x), y))      ->  Conv'(x) + Conv2(y)
//
// The composition is exact (same function, float rounding aside) when every window of the
// second layer lies inside the first layer's output, or when the first is pointwise
// (1x1x1, stride 1, no padding, no bias): then zero padding commutes with it. Otherwise the
// padded border would need a position-dependent correction, and the fold is refused naming
// both nodes (put a Clip between them, or drop the padding).
#pragma once

#include "golden/ir.h"

namespace sdm {

// Returns g with every Conv / Linear whose input is a Conv, Linear or Add replaced by the
// composed nodes (unused nodes removed; node ids change, names of kept nodes do not; the
// node that replaces a folded layer keeps its name). Returns g unchanged when there is
// nothing to fold. Throws sdm::Error naming the two nodes when a fold is not exact.
Graph fold_linear_chains(const Graph& g);

}  // namespace sdm
