// SystemC test bench around the Verilator `--sc` model of a generated accelerator:
// a clock, a stream source module that feeds clips over the valid/ready pixel port, and a
// sink module that waits for done_o and checks class and logits against the integer
// golden model.  usage: Vsdm_accel_sc DESIGN_DIR DATA_DIR CLIPS
#include <cstdio>
#include <functional>
#include <fstream>
#include <vector>

#include <nlohmann/json.hpp>
#include <systemc.h>
#include <verilated.h>

#include "Vsdm_accel.h"
#include "data/dataset.h"
#include "golden/artifact.h"
#include "golden/snn_int.h"

// Streams clip pixels (C-order) with tlast, one handshake per clock; waits for the sink
// between clips.
SC_MODULE(PixelSource) {
  sc_in<bool> clk;
  sc_out<bool> valid, last;
  sc_out<uint32_t> data;
  sc_in<bool> ready;
  sc_event next_clip;
  const sdm::Dataset* ds = nullptr;
  int clips = 0;

  void run() {
    valid.write(false);
    last.write(false);
    wait(5);  // reset
    for (int c = 0; c < clips; ++c) {
      const uint8_t* px = ds->clip(size_t(c));
      const size_t n = ds->clip_size();
      for (size_t i = 0; i < n;) {
        valid.write(true);
        data.write(px[i]);
        last.write(i + 1 == n);
        wait();
        if (ready.read()) ++i;
      }
      valid.write(false);
      last.write(false);
      wait(next_clip);
      wait();
    }
  }
  SC_CTOR(PixelSource) { SC_THREAD(run); sensitive << clk.pos(); }
};

// Waits for done_o, reads class and logits from the result beat (m_axis_tdata_o, layout in
// signature.json `result_beat`), compares with the golden model.
SC_MODULE(ResultSink) {
  sc_in<bool> clk, done;
  std::function<uint64_t(int lo, int width)> beat_bits;  // reads the m_axis_tdata_o port
  PixelSource* src = nullptr;
  const sdm::Dataset* ds = nullptr;
  const sdm::QNet* q = nullptr;
  int clips = 0, logit_w = 0, logit_lo = 0, class_w = 0, failures = 0, checked = 0;

  void run() {
    for (int c = 0; c < clips; ++c) {
      while (done.read()) wait();   // the previous result until the new run starts
      while (!done.read()) wait();
      sdm::IntSnn sim(*q);
      sim.run(ds->clip(size_t(c)));
      const auto& lg = sim.logit_acc();
      const int cls = int(beat_bits(0, class_w));
      bool ok = cls == sim.predicted_class();
      for (size_t k = 0; k < lg.size(); ++k) {
        int64_t x = int64_t(beat_bits(logit_lo + int(k) * logit_w, logit_w));
        if (logit_w < 64 && (x >> (logit_w - 1)) & 1) x -= int64_t(1) << logit_w;
        ok = ok && x == lg[k];
      }
      std::printf("systemc: clip %d class %d golden %d %s at %s\n", c, cls, sim.predicted_class(),
                  ok ? "ok" : "MISMATCH", sc_time_stamp().to_string().c_str());
      failures += !ok;
      ++checked;
      src->next_clip.notify();
    }
    sc_stop();
  }
  SC_CTOR(ResultSink) { SC_THREAD(run); sensitive << clk.pos(); }
};

int sc_main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s DESIGN_DIR DATA_DIR CLIPS\n", argv[0]);
    return 2;
  }
  Verilated::commandArgs(argc, argv);
  const std::string dir = argv[1];
  sdm::Artifact art = sdm::load_artifact(dir + "/net.sdm");
  std::ifstream f(dir + "/signature.json");
  nlohmann::json sig = nlohmann::json::parse(f);
  sdm::Dataset ds = sdm::load_dataset(argv[2]);
  const int clips = std::min<int>(std::atoi(argv[3]), int(ds.size()));
  const nlohmann::json& beat = sig["result_beat"];

  sc_clock clk("clk", 10, SC_NS);
  sc_signal<bool> rst_n, valid, last, ready, start, done, res_ready;
  sc_signal<uint32_t> data, cnt_sel;
  PixelSource src("src");
  src.clk(clk);
  src.valid(valid);
  src.last(last);
  src.data(data);
  src.ready(ready);
  src.ds = &ds;
  src.clips = clips;
  ResultSink sink("sink");
  sink.clk(clk);
  sink.done(done);
  sink.src = &src;
  sink.ds = &ds;
  sink.q = &art.qnet;
  sink.clips = clips;
  sink.logit_w = beat["logit_bits"];
  sink.logit_lo = beat["logit_lo"];
  sink.class_w = beat["class_bits"];

  Vsdm_accel dut("dut");
  // Port types depend on the design's widths (bool, uint32_t, uint64_t, sc_bv<N>):
  // testbench/gen_sc_bind.py writes the binding from signature.json.
#include "sc_bind.inc"

  rst_n.write(false);
  start.write(false);
  res_ready.write(true);  // the sink reads the beat while done_o holds it
  cnt_sel.write(0);
  sc_start(30, SC_NS);
  rst_n.write(true);
  sc_start();
  dut.final();
  std::printf("systemc: %d clips checked, %d mismatches\n", sink.checked, sink.failures);
  return (sink.failures == 0 && sink.checked == clips) ? 0 : 1;
}
