#!/usr/bin/env python3
"""Writes the SystemC port binding of a generated sdm_accel from its signature.json.

usage: gen_sc_bind.py SIGNATURE.json OUT.inc
Verilator's --sc ports are bool (1 bit), uint32_t (<= 32), uint64_t (<= 64) or sc_bv<N>.
The bench's own signals (clk, rst_n, valid, last, data, ready, start, done, res_ready,
cnt_sel) are bound where they fit; every other port gets a signal of its exact type, and the
sink reads the result beat (m_axis_tdata_o) through `beat_bits`.
"""
import json
import sys

sig = json.load(open(sys.argv[1]))
own = {"clk_i": "clk", "rst_ni": "rst_n", "s_axis_tvalid_i": "valid", "s_axis_tlast_i": "last",
       "s_axis_tdata_i": "data", "s_axis_tready_o": "ready", "start_i": "start", "done_o": "done",
       "m_axis_tready_i": "res_ready", "cnt_sel_i": "cnt_sel"}


def ctype(w):
    if w == 1:
        return "bool"
    if w <= 32:
        return "uint32_t"
    if w <= 64:
        return "uint64_t"
    return f"sc_bv<{w}>"


lines = []
for p in sig["ports"]:
    name, w = p["name"], p["width"]
    if name in own:
        lines.append(f"  dut.{name}({own[name]});")
        continue
    lines.append(f"  static sc_signal<{ctype(w)}> sig_{name};")
    lines.append(f"  dut.{name}(sig_{name});")
rw = [p for p in sig["ports"] if p["name"] == "m_axis_tdata_o"][0]["width"]
if rw <= 64:
    lines.append("  sink.beat_bits = [](int lo, int w) { return (uint64_t(sig_m_axis_tdata_o.read()) >> lo) & "
                 "(w >= 64 ? ~0ull : ((1ull << w) - 1)); };")
else:
    lines.append("  sink.beat_bits = [](int lo, int w) { "
                 "return sig_m_axis_tdata_o.read().range(lo + w - 1, lo).to_uint64(); };")
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
