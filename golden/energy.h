// Energy model (docs/energy.md): the paper's Eq. 13 (ANN MACs vs SNN additions, 45 nm
// per-operation energies) and a hardware-aware estimate of the generated accelerator's
// dense schedule (integer adds by width, multiplies, SRAM reads/writes by memory size).
//
//   QNet q = quantize(graph, cfg);                  // structure: terms, pools, shapes
//   NetOps ops = count_ops(q);                      // b, c, fan-out per spiking layer
//   Eq13 e = eq13(ops, spikes_per_clip, T);         // spikes from evaluate() (LayerStat)
//   HwEnergy h = hardware_energy(q, signature);     // signature.json of the generated RTL
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "golden/eval.h"
#include "golden/qnet.h"

namespace sdm {

// Eq. 13 constants (the paper, after Horowitz ISSCC 2014 at 45 nm): gamma = one 32-bit
// float MAC (3.7 pJ mult + 0.9 pJ add), zeta = one 32-bit float add.
struct Eq13Prices {
  double gamma_pj = 4.6;  // per MAC
  double zeta_pj = 0.9;   // per addition
};

// Per spiking layer (QNet Neuron stage, in graph order = eval's LayerStat order).
struct LayerOps {
  std::string name;
  int stage = 0;        // QNet stage index
  long neurons = 0;
  // Conv/Linear synaptic additions one spike of one neuron of this layer causes downstream,
  // averaged over the layer's neurons: sum over consumer Conv/Linear terms of
  // connections / neurons; through a SumPool the pool's own consumers' fan-out times the
  // pool windows each source element enters (see docs/energy.md).
  double fanout = 0;
  // Other additions per spike, not in Eq. 13 (the ANN's count has none of them either):
  // residual identity terms and pool window sums.
  double other_fanout = 0;
};

struct NetOps {
  double ann_macs = 0;          // b: dense MACs of every Conv/Linear term (per clip)
  double first_layer_macs = 0;  // c: MACs of terms over the constant pixel input (once per clip)
  std::vector<LayerOps> layers;
};

// Counts from the quantized structure (dense: padding taps count, as in the RTL schedule and
// the usual FLOP counters).
NetOps count_ops(const QNet& q);

struct LayerEnergy {
  std::string name;
  long neurons = 0;
  double spikes_per_clip = 0;  // sum over neurons and steps of |n| (burst n = n, negative = 1)
  double firing_rate = 0;      // spikes / (neurons * T)
  double fanout = 0, other_fanout = 0;
  double adds = 0;             // spikes * fanout
  double other_adds = 0;       // spikes * other_fanout
};

struct Eq13 {
  int T = 0;
  Eq13Prices prices;
  double ann_macs = 0;             // b
  double snn_macs = 0;             // c (encoding layer once per clip)
  double snn_macs_xT = 0;          // c * T (if the encoding layer were recomputed every step)
  double snn_adds = 0;             // d = sum_l spikes_l * fanout_l
  double snn_other_adds = 0;       // identity + pool additions (reported, not in Eq. 13)
  double ann_pj = 0, snn_pj = 0, snn_pj_xT = 0;  // per clip
  double ratio = 0, ratio_xT = 0;  // SNN / ANN
  std::vector<LayerEnergy> layers;
};

// spikes_per_clip[l]: |n| summed over the l-th spiking layer (LayerStat::spikes_per_clip).
// Throws sdm::Error if the count does not match the network's spiking layers.
Eq13 eq13(const NetOps& ops, const std::vector<double>& spikes_per_clip, int T,
          const Eq13Prices& prices = {});

// 45 nm integer / SRAM energies (Horowitz, ISSCC 2014, "Computing's energy problem").
struct HwPrices {
  double add8 = 0.03, add16 = 0.05, add32 = 0.1;  // pJ per integer add of that width
  double mult8 = 0.2;                              // pJ per 8x8-bit integer multiply
  double sram64_8k = 10, sram64_32k = 20;          // pJ per 64-bit access at 8 KB / 32 KB
  double add_pj(int bits) const;        // piecewise linear in width through 8/16/32 bits
  double mult_pj(int a_bits, int b_bits) const;  // mult8 * (a*b)/64 (area ~ product of widths)
  // pJ per access of `bits` bits from an SRAM of `bytes`: 64-bit cost scales as sqrt(size)
  // (10 pJ at 8 KB, 20 pJ at 32 KB; the same law gives ~113 pJ at 1 MB, Horowitz: 100),
  // and linearly in the bits moved. Writes cost the same as reads.
  double sram_pj(double bytes, int bits) const;
};

// One category of the hardware estimate.
struct HwItem {
  std::string what;      // e.g. "weight ROM reads"
  double count = 0;      // events per clip
  int bits = 0;          // width per event (adds/mults: operand width; memories: bits moved)
  double bytes = 0;      // memory size (memories only)
  double pj_each = 0;
  double pj = 0;         // count * pj_each
};

struct HwEnergy {
  int lanes = 0, T = 0;
  double cycles = 0;         // predicted cycles per clip (signature)
  double synapse_cycles = 0; // = the synapse_reads / weight_reads counters
  double tensor_writes = 0;  // = the tensor_writes counter (words)
  std::vector<HwItem> items;
  double total_pj = 0;
  HwPrices prices;           // the prices used (reports quote them from here)
};

// From the QNet (which tensor each term reads) and the generated design's signature.json
// (lanes, widths, groups, memories, ROM sizes, predicted cycles); the schedule is dense, so
// the estimate does not depend on spike counts. Throws sdm::Error on a signature that does
// not describe this network.
HwEnergy hardware_energy(const QNet& q, const nlohmann::json& signature, const HwPrices& prices = {});

// Eq. 13 measured on data: evaluates cfg.neuron at cfg.T (integer mode where the method has
// one, as the hardware runs it; float otherwise) and feeds its per-layer spike counts to
// eq13(). `top1` / `ann_top1` are the accuracies of that run.
struct MeasuredEnergy {
  Eq13 eq13;
  std::string mode;  // "int" or "float"
  long clips = 0;
  double top1 = 0, ann_top1 = 0;
};
MeasuredEnergy measure_energy(const Graph& g, const ClipSet& data, const Config& cfg, int threads,
                              const Eq13Prices& prices = {});

nlohmann::json to_json(const Eq13& e);
nlohmann::json to_json(const HwEnergy& h);

}  // namespace sdm
