// Network co-simulation bench: streams clips into a generated `sdm_accel` (Verilated)
// and checks it against the integer golden model, spike for spike:
//   - every tensor word the accelerator writes (all time-steps of one neuron, or one
//     pooled sum) against the golden model's tensor values at every step;
//   - every neuron's potential v and input memory M after every step (trace port);
//   - the logit accumulators and the class (from the result beat), and the cycle count
//     against the prediction;
//   - the stream contract: the result beat (m_axis_*) is offered with done_o, held with
//     its data while m_axis_tready_i is low, no clip is accepted meanwhile, and it is gone
//     after the handshake.
// The first mismatch stops the run and names layer, channel, position, time-step and
// cycle with DUT and expected values; the clip is then re-simulated with an FST
// waveform of the cycles around it.
//
// Compiled at run time by testbench/cosim.cc with the design's Verilated model.
#include <chrono>
#include <cinttypes>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <verilated.h>
#include <verilated_fst_c.h>

#include "Vsdm_accel.h"
#include "data/dataset.h"
#include "golden/artifact.h"
#include "golden/error.h"
#include "golden/fileio.h"
#include "golden/snn_int.h"

namespace {

using json = nlohmann::json;

// Bit extraction from any Verilator port type.
template <class P>
uint64_t bits_of(const P& v, int lo, int width) {
  if constexpr (std::is_integral<P>::value) {
    uint64_t x = uint64_t(v) >> lo;
    return width >= 64 ? x : (x & ((uint64_t(1) << width) - 1));
  } else {
    uint64_t r = 0;
    for (int b = 0; b < width; ++b) {
      const int bit = lo + b;
      r |= uint64_t((v[bit / 32] >> (bit % 32)) & 1u) << b;
    }
    return r;
  }
}
int64_t sext(uint64_t v, int width) {
  if (width >= 64) return int64_t(v);
  const uint64_t sign = uint64_t(1) << (width - 1);
  return int64_t((v ^ sign) - sign);
}

struct Options {
  std::string design, data, json_out;
  int clips = 1, first = 0;
  bool wave = false;
  bool check_state = true;
};

struct StageInfo {
  std::string name;
  int qstage, out, mode, groups, co, shift;
  int positions = 1;  // 2: a group is two adjacent columns, lanes L/2.. the second (signature.json)
  sdm::Shape shape;
};

class Bench {
 public:
  Bench(const Options& o) : o_(o) {
    art_ = sdm::load_artifact(o.design + "/net.sdm");
    std::ifstream f(o.design + "/signature.json");
    if (!f) throw sdm::Error("cannot read " + o.design + "/signature.json");
    sig_ = json::parse(f);
    lanes_ = sig_["lanes"];
    T_ = art_.cfg.T;
    npw_ = sig_["widths"]["neuron_potential"];
    logit_w_ = sig_["result_beat"]["logit_bits"];
    logit_lo_ = sig_["result_beat"]["logit_lo"];
    class_w_ = sig_["result_beat"]["class_bits"];
    for (const auto& s : sig_["stages"]) {
      StageInfo si;
      si.name = s["name"];
      si.out = s["out_tensor"];
      const std::string m = s["mode"];
      si.mode = m == "neuron" ? 0 : m == "sum" ? 1 : 2;
      si.groups = s["groups"];
      si.positions = s.value("positions", 1);
      si.shift = s["current_shift"];
      si.qstage = s["index"];
      auto sh = s["out_shape"];
      si.shape = sdm::Shape{sh[0], sh[1], sh[2], sh[3]};
      si.co = si.shape.c;
      stages_.push_back(si);
    }
  }

  int run(json& report) {
    sdm::Dataset d = sdm::load_dataset(o_.data);
    sdm::check_clip_shape(d.clip_shape, art_.graph.input().out);  // by shape, not size
    const long clip = long(d.clip_size());
    if (clip != sig_["clip_bytes"].get<long>())
      throw sdm::Error("data clips hold " + std::to_string(clip) + " bytes, the design expects " +
                       sig_["clip_bytes"].dump());
    report["clips"] = 0;
    report["mismatches"] = 0;
    report["cycles_per_clip"] = json::array();
    report["predicted_cycles"] = sig_["predicted_cycles"]["per_clip"];
    report["classes_dut"] = json::array();
    report["classes_golden"] = json::array();
    report["labels"] = json::array();
    report["logits_golden"] = json::array();
    long long sim_cycles = 0;
    const auto t0 = std::chrono::steady_clock::now();
    if (o_.first < 0 || o_.first >= int(d.size()))
      throw sdm::Error("--first " + std::to_string(o_.first) + " is outside the " + std::to_string(d.size()) + " clips");
    int n = std::min<int>(o_.clips, int(d.size()) - o_.first);
    for (int i = 0; i < n; ++i) {
      const int idx = o_.first + i;
      std::string mismatch;
      long mismatch_cycle = -1;
      long cycles = 0, counter_cycles = 0;
      int dut_class = -1, gold_class = -1;
      simulate(d.clip(size_t(idx)), idx, false, 0, 0, mismatch, mismatch_cycle, cycles, counter_cycles, dut_class,
               gold_class);
      sim_cycles += total_cycles_;
      report["clips"] = i + 1;
      report["cycles_per_clip"].push_back(counter_cycles);
      report["classes_dut"].push_back(dut_class);
      report["classes_golden"].push_back(gold_class);
      report["labels"].push_back(d.labels[size_t(idx)]);
      report["logits_golden"].push_back(last_logits_);
      if (o_.wave && mismatch.empty()) {
        std::string m2;
        long c2;
        long a, b;
        int x, y;
        simulate(d.clip(size_t(idx)), idx, true, 0, LONG_MAX, m2, c2, a, b, x, y);
      }
      if (!mismatch.empty()) {
        report["mismatches"] = 1;
        report["first_mismatch"] = mismatch;
        const std::string wave = o_.design + "/mismatch.fst";
        std::string m2;
        long c2, a, b;
        int x, y;
        simulate(d.clip(size_t(idx)), idx, true, std::max(0L, mismatch_cycle - 2000), mismatch_cycle + 50, m2, c2,
                 a, b, x, y);
        report["wave"] = wave;
        std::fprintf(stderr, "cosim: MISMATCH %s\ncosim: waveform of cycles %ld..%ld in %s\n", mismatch.c_str(),
                     std::max(0L, mismatch_cycle - 2000), mismatch_cycle + 50, wave.c_str());
        break;
      }
      std::fprintf(stderr, "cosim: clip %d ok: class %d (golden %d, label %lld), %ld cycles (predicted %ld)\n", idx,
                   dut_class, gold_class, (long long)d.labels[size_t(idx)], counter_cycles,
                   sig_["predicted_cycles"]["per_clip"].get<long>());
    }
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    report["sim_cycles_per_s"] = secs > 0 ? double(sim_cycles) / secs : 0.0;
    report["seconds"] = secs;
    return report["mismatches"].get<int>() == 0 ? 0 : 1;
  }

 private:
  // One clip. With `trace`, dumps cycles [wlo, whi] to DESIGN/mismatch.fst (or wave.fst).
  void simulate(const uint8_t* px, int idx, bool trace, long wlo, long whi, std::string& mismatch,
                long& mcycle, long& cycles, long& counter_cycles, int& dut_class, int& gold_class) {
    const sdm::QNet& q = art_.qnet;
    // Golden run: every tensor's values at every step, every neuron's current.
    sdm::IntSnn sim(q);
    std::vector<std::vector<std::vector<int32_t>>> tens(q.tensors.size());
    std::vector<std::vector<std::vector<int64_t>>> cur(q.stages.size());
    sim.run(px, [&](int) {
      for (size_t t = 0; t < q.tensors.size(); ++t) tens[t].push_back(sim.tensor(int(t)));
      for (size_t s = 0; s < q.stages.size(); ++s)
        if (q.stages[s].kind == sdm::QStage::Neuron) cur[s].push_back(sim.current(int(s)));
    });
    gold_class = sim.predicted_class();
    last_logits_ = sim.logit_acc();
    // Golden v and M per stage, neuron, step (replaying the one neuron rule).
    std::vector<std::vector<int64_t>> gv(q.stages.size()), gm(q.stages.size());
    for (size_t s = 0; s < q.stages.size(); ++s) {
      if (q.stages[s].kind != sdm::QStage::Neuron) continue;
      const auto& rule = q.stages[s].rule;
      const size_t N = cur[s][0].size();
      gv[s].resize(N * size_t(T_));
      gm[s].resize(N * size_t(T_));
      for (size_t i = 0; i < N; ++i) {
        int64_t v = rule.v0(), m = 0;
        uint64_t sat = 0;
        for (int t = 0; t < T_; ++t) {
          rule.step(v, m, cur[s][size_t(t)][i], sat);
          gv[s][i * size_t(T_) + size_t(t)] = v;
          gm[s][i * size_t(T_) + size_t(t)] = m;
        }
      }
    }

    auto ctx = std::make_unique<VerilatedContext>();
    ctx->traceEverOn(trace);
    auto top = std::make_unique<Vsdm_accel>(ctx.get());
    std::unique_ptr<VerilatedFstC> tfp;
    if (trace) {
      tfp = std::make_unique<VerilatedFstC>();
      top->trace(tfp.get(), 99);
      tfp->open((o_.design + (o_.wave && mismatch.empty() && whi == LONG_MAX ? "/wave.fst" : "/mismatch.fst")).c_str());
    }
    long cyc = 0;
    auto tick = [&] {
      top->clk_i = 0;
      top->eval();
      if (tfp && cyc >= wlo && cyc <= whi) tfp->dump(uint64_t(cyc) * 10);
      top->clk_i = 1;
      top->eval();
      if (tfp && cyc >= wlo && cyc <= whi) tfp->dump(uint64_t(cyc) * 10 + 5);
      ++cyc;
    };
    top->rst_ni = 0;
    top->s_axis_tvalid_i = 0;
    top->m_axis_tready_i = 0;  // the result beat is taken only after its checks below
    top->start_i = 0;
    top->cnt_sel_i = 0;
    tick();
    tick();
    top->rst_ni = 1;
    const long clip = sig_["clip_bytes"];
    for (long i = 0; i < clip;) {
      top->s_axis_tvalid_i = 1;
      top->s_axis_tdata_i = px[i];
      top->s_axis_tlast_i = i == clip - 1;
      top->eval();
      const bool hs = top->s_axis_tready_o;
      tick();
      if (hs) ++i;
    }
    top->s_axis_tvalid_i = 0;
    top->s_axis_tlast_i = 0;
    const long start_cycle = cyc;

    std::vector<long> written(q.tensors.size(), 0);
    std::vector<long> nrn_count(stages_.size(), 0);
    const long limit = sig_["predicted_cycles"]["per_clip"].get<long>() * 2 + 100000;
    auto fail = [&](const std::string& m) {
      if (mismatch.empty()) {
        mismatch = m;
        mcycle = cyc;
      }
    };
    while (!top->done_o && mismatch.empty()) {
      top->eval();
      if (top->trace_valid_o) check_word(top.get(), tens, written, fail, cyc);
      if (top->trace_nrn_valid_o) check_state(top.get(), gv, gm, nrn_count, fail, cyc);
      tick();
      if (cyc - start_cycle > limit) fail("timeout: done_o not raised after " + std::to_string(limit) + " cycles");
    }
    cycles = cyc - start_cycle;
    top->cnt_sel_i = 0;
    top->eval();
    counter_cycles = long(top->cnt_val_o);
    // the result beat: class, then the logits (signature.json `result_beat`)
    auto beat = [&] {
      std::vector<int64_t> v{int64_t(bits_of(top->m_axis_tdata_o, 0, class_w_))};
      for (int k = 0; k < q.num_classes(); ++k)
        v.push_back(sext(bits_of(top->m_axis_tdata_o, logit_lo_ + k * logit_w_, logit_w_), logit_w_));
      return v;
    };
    const std::vector<int64_t> dut_beat = beat();
    dut_class = int(dut_beat[0]);
    if (mismatch.empty()) {
      if (!top->m_axis_tvalid_o || !top->m_axis_tlast_o) fail("result beat: m_axis_tvalid_o/tlast_o low with done_o");
      for (int i = 0; i < 3 && mismatch.empty(); ++i) {  // back-pressure: held, no clip accepted
        tick();
        top->eval();
        if (!top->m_axis_tvalid_o || beat() != dut_beat || top->s_axis_tready_o)
          fail("result beat not held under back-pressure (m_axis_tready_i low) at cycle " + std::to_string(cyc));
      }
      top->m_axis_tready_i = 1;
      top->eval();
      tick();
      top->m_axis_tready_i = 0;
      top->eval();
      if (mismatch.empty() && (top->m_axis_tvalid_o || !top->s_axis_tready_o || !top->done_o))
        fail("result beat: after the handshake m_axis_tvalid_o must drop, s_axis_tready_o rise, done_o hold");
      for (size_t t = 1; t < q.tensors.size(); ++t) {
        const bool is_logits = int(t) == q.stages.back().out;
        if (!is_logits && written[t] != q.tensors[t].shape.size())
          fail("tensor " + std::to_string(t) + " ('" + q.tensors[t].name + "'): " + std::to_string(written[t]) +
               " words written, expected " + std::to_string(q.tensors[t].shape.size()));
      }
      const auto& lg = sim.logit_acc();
      for (size_t k = 0; k < lg.size(); ++k) {
        const int64_t dut = dut_beat[k + 1];
        if (dut != lg[k])
          fail("clip " + std::to_string(idx) + " logit " + std::to_string(k) + " DUT: " + std::to_string(dut) +
               " expected: " + std::to_string(lg[k]));
      }
      if (dut_class != gold_class)
        fail("clip " + std::to_string(idx) + " class DUT: " + std::to_string(dut_class) +
             " expected: " + std::to_string(gold_class));
    }
    for (int i = 0; i < 3; ++i) tick();
    total_cycles_ = cyc;
    if (tfp) tfp->close();
    top->final();
  }

  template <class Fail>
  void check_word(Vsdm_accel* top, const std::vector<std::vector<std::vector<int32_t>>>& tens,
                  std::vector<long>& written, Fail&& fail, long cyc) {
    const sdm::QNet& q = art_.qnet;
    const int t = int(top->trace_tensor_o);
    const long addr = long(top->trace_addr_o);
    const sdm::QTensor& qt = q.tensors[size_t(t)];
    const int bits = qt.bits();
    const int steps = qt.per_step ? T_ : 1;
    const sdm::Shape& s = qt.shape;
    // the word holds steps k0 .. k1 - 1 of value `addr`, step k0 in the low bits
    const int k0 = int(top->trace_step_o), k1 = k0 + int(top->trace_nsteps_o);
    if (k0 < 0 || k1 > steps || k1 <= k0) {
      fail("tensor " + std::to_string(t) + " trace word with steps " + std::to_string(k0) + ".." +
           std::to_string(k1 - 1) + " of " + std::to_string(steps) + " at cycle " + std::to_string(cyc));
      return;
    }
    if (k1 == steps) ++written[size_t(t)];
    for (int k = k0; k < k1; ++k) {
      const uint64_t raw = bits_of(top->trace_data_o, (k - k0) * bits, bits);
      const int64_t dut = qt.is_signed() ? sext(raw, bits) : int64_t(raw);
      const int64_t exp = tens[size_t(t)][size_t(k)][size_t(addr)];
      if (dut != exp) {
        const long plane = s.plane();
        const long c = addr / plane, r = addr % plane;
        char buf[512];
        std::snprintf(buf, sizeof buf,
                      "layer '%s' (tensor %d) channel %ld position (f=%ld,h=%ld,w=%ld) time-step %d cycle %ld: "
                      "DUT: %lld expected: %lld",
                      qt.name.c_str(), t, c, r / (long(s.h) * s.w), (r / s.w) % s.h, r % s.w, k + 1, cyc,
                      (long long)dut, (long long)exp);
        fail(buf);
        return;
      }
    }
  }

  template <class Fail>
  void check_state(Vsdm_accel* top, const std::vector<std::vector<int64_t>>& gv,
                   const std::vector<std::vector<int64_t>>& gm, std::vector<long>& count, Fail&& fail, long cyc) {
    if (!o_.check_state) return;
    const int si = int(top->trace_nrn_stage_o);
    const int t = int(top->trace_nrn_t_o);
    const StageInfo& st = stages_[size_t(si)];
    const long idx = count[size_t(si)]++;
    // trace_nrn_lane_o 255: one neuron per lane, every lane's v/M at [l*PW +: PW], outputs in
    // order (position, group, step); else a shared neuron fed lane by lane: its v/M in the
    // low bits, outputs in order (position, group, lane, step)
    const int shared_lane = int(top->trace_nrn_lane_o);
    const bool shared = shared_lane != 255;
    long pos, expect_t;
    int cg, lane0, lane1;
    if (!shared) {
      const long group = idx / T_;
      pos = group / st.groups, cg = int(group % st.groups), expect_t = idx % T_;
      lane0 = 0, lane1 = lanes_;
    } else {
      const long per_pos = long(T_) * st.co, r = idx % per_pos;
      pos = idx / per_pos, cg = int(r / (long(T_) * lanes_));
      const long r2 = r % (long(T_) * lanes_);
      lane0 = int(r2 / T_), lane1 = lane0 + 1, expect_t = r2 % T_;
      if (shared_lane != lane0) {
        fail("layer '" + st.name + "': neuron output " + std::to_string(idx) + " is lane " +
             std::to_string(shared_lane) + ", expected lane " + std::to_string(lane0) + " at cycle " +
             std::to_string(cyc));
        return;
      }
    }
    if (expect_t != t) {
      fail("layer '" + st.name + "': neuron output " + std::to_string(idx) + " has time-step " + std::to_string(t + 1) +
           ", expected " + std::to_string(expect_t + 1));
      return;
    }
    const long plane = st.shape.plane();
    // two positions per group: group pos covers columns 2*col and 2*col + 1 of its row, lane l
    // of the upper half (l >= L/2) channel l - L/2 at the second
    long col0 = 0;
    if (st.positions == 2) {
      const long cols = (st.shape.w + 1) / 2, row = pos / cols;
      col0 = 2 * (pos % cols);
      pos = row * st.shape.w + col0;
    }
    for (int l = lane0; l < lane1; ++l) {
      const bool up = st.positions == 2 && l >= lanes_ / 2;
      const int c = st.positions == 2 ? (up ? l - lanes_ / 2 : l) : cg * lanes_ + l;
      if (c >= st.co) {
        if (st.positions == 2) continue;  // the upper half follows the idle lower lanes
        break;
      }
      if (up && col0 + 1 >= st.shape.w) break;  // an odd row's last group: one column
      const long npos = pos + (up ? 1 : 0);
      const int slot = shared ? 0 : l;  // where the lane's v/M sit on the tap
      const size_t neuron = size_t(c) * size_t(plane) + size_t(npos);
      const int64_t ev = gv[size_t(st.qstage)][neuron * size_t(T_) + size_t(t)] << st.shift;
      const int64_t em = gm[size_t(st.qstage)][neuron * size_t(T_) + size_t(t)] << st.shift;
      const int64_t dv = sext(bits_of(top->trace_nrn_v_o, slot * npw_, npw_), npw_);
      const int64_t dm = sext(bits_of(top->trace_nrn_m_o, slot * npw_, npw_), npw_);
      if (dv != ev || dm != em) {
        char buf[512];
        std::snprintf(buf, sizeof buf,
                      "layer '%s' channel %d position (f=%ld,h=%ld,w=%ld) time-step %d cycle %ld: potential DUT: "
                      "v=%lld M=%lld expected: v=%lld M=%lld (scaled by 2^%d)",
                      st.name.c_str(), c, npos / (long(st.shape.h) * st.shape.w), (npos / st.shape.w) % st.shape.h,
                      npos % st.shape.w, t + 1, cyc, (long long)dv, (long long)dm, (long long)ev, (long long)em,
                      st.shift);
        fail(buf);
        return;
      }
    }
  }

  Options o_;
  sdm::Artifact art_;
  json sig_;
  int lanes_ = 1, T_ = 1, npw_ = 1, logit_w_ = 1, logit_lo_ = 8, class_w_ = 1;
  std::vector<StageInfo> stages_;
  long long total_cycles_ = 0;
  std::vector<int64_t> last_logits_;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--design") o.design = next();
    else if (a == "--data") o.data = next();
    else if (a == "--clips") o.clips = std::stoi(next());
    else if (a == "--first") o.first = std::stoi(next());
    else if (a == "--json") o.json_out = next();
    else if (a == "--wave") o.wave = true;
    else if (a == "--no-state") o.check_state = false;
  }
  // The report, whole or not at all (a temporary file + rename): the caller never reads a
  // half-written one. A failed write leaves no report, which the caller reports.
  const std::string out = o.json_out.empty() ? o.design + "/cosim.json" : o.json_out;
  auto write_report = [&](const json& j, int rc) {
    try {
      sdm::write_file_atomic(out, j.dump(2) + "\n");
      return rc;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "cosim_bench: %s\n", e.what());
      return 2;
    }
  };
  try {
    Bench b(o);
    json report;
    const int rc = b.run(report);
    return write_report(report, rc);
  } catch (const std::exception& e) {
    // the caller (sdmforge cosim) reports it in its one error line
    return write_report(json{{"error", e.what()}}, 2);
  }
}
