#include "golden/hw_widths.h"

#include <algorithm>

#include <fmt/core.h>

#include "golden/error.h"

namespace sdm {

bool fits_signed(int64_t v, int bits) {
  if (bits >= 64) return true;
  if (bits < 1) return false;
  const int64_t hi = (int64_t{1} << (bits - 1)) - 1;
  return v >= -hi - 1 && v <= hi;
}

StoredWidths stored_widths(const QNet& q) {
  StoredWidths w;
  w.weight = q.cfg.weight_bits;
  // Multiplier operand: the widest value a datapath row reads (pixels, spike counts, pool
  // sums), as a signed number. The logits are written by the readout and read by no row,
  // so they do not widen it (they have their own width, `logit`).
  auto operand_bits = [&](int src) {
    const QTensor& t = q.tensors.at(size_t(src));
    return t.is_signed() ? t.bits() : t.bits() + 1;
  };
  w.x = 2;
  for (const QStage& s : q.stages) {
    if (s.kind == QStage::SumPool) w.x = std::max(w.x, operand_bits(s.src));
    for (const QTerm& t : s.terms) w.x = std::max(w.x, operand_bits(t.src));
  }
  w.acc = w.weight + w.x;  // one product, before any sum
  for (const QStage& s : q.stages) {
    if (s.kind == QStage::Neuron) w.neuron_F = std::max(w.neuron_F, s.F);
    if (s.kind != QStage::SumPool) w.acc = std::max(w.acc, s.acc_bits);
  }
  int max_shift = 0;
  w.shift.assign(q.stages.size(), 0);
  for (size_t i = 0; i < q.stages.size(); ++i) {
    const QStage& s = q.stages[i];
    if (s.kind == QStage::Neuron) {
      w.shift[i] = w.neuron_F - s.F;
      max_shift = std::max(max_shift, w.shift[i]);
      w.neuron_pw = std::max(w.neuron_pw, s.rule.pbits + w.shift[i]);
    } else if (s.kind == QStage::Readout) {
      w.logit = q.tensors.at(size_t(s.out)).bits();
    }
  }
  w.neuron_acc = w.acc + max_shift;
  w.neuron_pw = std::max(w.neuron_pw, w.neuron_F + 2);  // room for +-2^F
  return w;
}

void check_stored_widths(const QNet& q) {
  const StoredWidths w = stored_widths(q);
  auto range = [](int bits) {
    const int64_t hi = (int64_t{1} << (bits - 1)) - 1;
    return fmt::format("[{}, {}]", -hi - 1, hi);
  };
  for (size_t i = 0; i < q.stages.size(); ++i) {
    const QStage& s = q.stages[i];
    if (s.kind == QStage::SumPool) continue;
    const char* kind = s.kind == QStage::Neuron ? "neuron layer" : "readout";
    auto fail = [&](const std::string& what) {
      throw Error(fmt::format("{} '{}': {}", kind, s.name, what));
    };
    for (size_t ti = 0; ti < s.terms.size(); ++ti) {
      const QTerm& t = s.terms[ti];
      const bool conv = t.kind == QTerm::Conv;
      const std::vector<int32_t>& v = conv ? t.weight : t.scale;
      for (size_t k = 0; k < v.size(); ++k)
        if (!fits_signed(v[k], w.weight))
          fail(fmt::format("{} {} at index {} of term {} does not fit the {}-bit weight ROM {}",
                           conv ? "weight" : "identity scale", v[k], k, ti, w.weight, range(w.weight)));
    }
    for (size_t c = 0; c < s.bias.size(); ++c)
      if (!fits_signed(s.bias[c], w.acc))
        fail(fmt::format("bias {} of channel {} does not fit the {}-bit bias ROM {}", s.bias[c], c,
                         w.acc, range(w.acc)));
    if (s.acc_bits + w.shift[i] > w.neuron_acc)
      fail(fmt::format("current of {} bits shifted by {} does not fit the {}-bit neuron input",
                       s.acc_bits, w.shift[i], w.neuron_acc));
    if (s.kind == QStage::Neuron) {
      if (s.F < 0 || s.F > 46 || w.shift[i] < 0)
        fail(fmt::format("threshold exponent F = {} (shift {}) is outside 0..46", s.F, w.shift[i]));
      if (!fits_signed(int64_t{1} << s.F, s.rule.pbits) || !fits_signed(s.rule.v0(), s.rule.pbits))
        fail(fmt::format("threshold 2^{} does not fit the {}-bit potential", s.F, s.rule.pbits));
    }
  }
}

}  // namespace sdm
