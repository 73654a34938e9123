#!/usr/bin/python3
"""Plots and index.html of `sdmforge run` from its summary.json.

    /usr/bin/python3 report/make_report.py OUT/summary.json OUT

Writes OUT/plots/*.png (matplotlib, Agg backend) and OUT/index.html (self-contained apart
from the relative PNG links; template: report/template.html). Only the standard library and
matplotlib are used, so Debian's python3-matplotlib is enough.
"""
import html
import json
import math
import os
import string
import sys

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker
except ImportError:  # one line, as the CLI promises
    sys.stderr.write("report: matplotlib is missing; install with: bash scripts/setup.sh (python3-matplotlib)\n")
    sys.exit(3)

HERE = os.path.dirname(os.path.abspath(__file__))
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
          "#7f7f7f", "#bcbd22", "#17becf"]


def esc(x):
    return html.escape(str(x))


def label(r):
    m = r["method"]
    if m == "sdm":
        s = "sdm α={:g} β={}".format(r["alpha"], r["beta"])
        return s if r.get("dual", True) else s + " no-dual"
    if m == "burst":
        return "burst β={}".format(r["beta"])
    return m


def ablation_name(r):
    parts = ["M"]
    if r.get("dual"):
        parts.append("D")
    if r["beta"] > 1:
        parts.append("B")
    if r["alpha"] < 1:
        parts.append("S")
    return "+".join(parts)


def fmt_num(x, digits=3):
    if x is None:
        return "–"
    if isinstance(x, str):
        return x
    a = abs(x)
    if a == 0:
        return "0"
    if a >= 1e9:
        return "{:.{}g} G".format(x / 1e9, digits)
    if a >= 1e6:
        return "{:.{}g} M".format(x / 1e6, digits)
    if a >= 1e4:
        return "{:.{}g} k".format(x / 1e3, digits)
    if a >= 100:
        return "{:.0f}".format(x)
    return "{:.{}g}".format(x, digits)


def table(header, rows, cls=""):
    out = ['<table class="{}"><thead><tr>'.format(cls)]
    out += ["<th>{}</th>".format(esc(h)) for h in header]
    out.append("</tr></thead><tbody>")
    for r in rows:
        out.append("<tr>" + "".join("<td>{}</td>".format(c) for c in r) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def savefig(fig, out, name):
    os.makedirs(os.path.join(out, "plots"), exist_ok=True)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "plots", name), dpi=110)
    plt.close(fig)
    return "plots/" + name


def img(src, alt):
    return '<figure><img src="{}" alt="{}"></figure>'.format(esc(src), esc(alt))


def acc_cell(v, ann, best=False):
    cls = "good" if v >= ann - 1.0 else ("mid" if v >= ann - 10 else "bad")
    return '<span class="{}{}">{:.2f}</span>'.format(cls, " best" if best else "", v)


# ---- sections -----------------------------------------------------------------------

def section_table1(s, out):
    ev = s["eval"]["table1"]
    ann = ev["ann_top1"]
    Ts = ev["Ts"]
    series = {}
    for r in ev["results"]:
        series.setdefault((label(r), r["mode"]), {})[r["T"]] = r["top1"]
    fig, ax = plt.subplots(figsize=(10, 4.8))
    keys = sorted(series, key=lambda k: (k[0], k[1]))
    names = sorted({k[0] for k in keys})
    for k in keys:
        c = COLORS[names.index(k[0]) % len(COLORS)]
        xs = sorted(series[k])
        ax.plot(xs, [series[k][x] for x in xs], marker="o" if k[1] == "float" else "x",
                linestyle="-" if k[1] == "float" else "--", color=c, label="{} ({})".format(*k),
                linewidth=1.6 if k[0].startswith("sdm") else 1.0)
    ax.axhline(ann, color="black", linestyle=":", label="ANN {:.2f}%".format(ann))
    ax.set_xscale("log", base=2)
    ax.set_xticks(Ts)
    ax.set_xticklabels([str(t) for t in Ts])
    ax.set_xlabel("time-steps T")
    ax.set_ylabel("top-1 accuracy (%)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    ax.set_title("Accuracy vs T per method (solid: float, dashed: integer)")
    p = savefig(fig, out, "table1_accuracy.png")
    rows = []
    for k in keys:
        best = max(series[k].values())
        rows.append([esc(k[0]), esc(k[1])] + [acc_cell(series[k][t], ann) if t in series[k] else "–" for t in Ts])
    notes = "".join("<li>{}</li>".format(esc(n)) for n in ev.get("notes", []))
    return ("<p>Top-1 accuracy (%) of the ANN and of every conversion method on the same trained network "
            "(θ = λ for the baselines; SDM scales it by α). <i>float</i> is the float SNN (neuron rules: docs/neurons.md), <i>int</i> "
            "the bit-accurate integer model that the RTL reproduces. Green: within 1 point of the ANN "
            "({:.2f}%), amber: within 10, red: worse.</p>".format(ann)
            + table(["method", "mode"] + ["T={}".format(t) for t in Ts], rows, "num")
            + ("<ul class='notes'>{}</ul>".format(notes) if notes else "") + img(p, "accuracy vs T"))


def section_ablation(s, out):
    ev = s["eval"]["ablation"]
    ann = ev["ann_top1"]
    Ts = ev["Ts"]
    series = {}
    order = []
    for r in ev["results"]:
        n = ablation_name(r)
        if n not in series:
            order.append(n)
        series.setdefault(n, {})[r["T"]] = r["top1"]
    paper = ["M", "M+D", "M+B", "M+S", "M+D+B", "M+D+S", "M+B+S", "M+D+B+S"]
    order.sort(key=lambda n: paper.index(n) if n in paper else len(paper))
    rows = []
    for n in order:
        d, b, sc = ("D" in n, "B" in n, "S" in n)
        rows.append(["●", "●" if d else "○", "●" if b else "○", "●" if sc else "○"]
                    + [acc_cell(series[n][t], ann) if t in series[n] else "–" for t in Ts])
    fig, ax = plt.subplots(figsize=(8.5, 3.8))
    w = 0.8 / len(Ts)
    for i, t in enumerate(Ts):
        ax.bar([j + i * w for j in range(len(order))], [series[n].get(t, 0) for n in order], w,
               label="T={}".format(t), color=COLORS[i % len(COLORS)])
    ax.axhline(ann, color="black", linestyle=":", label="ANN")
    ax.set_xticks([j + w * (len(Ts) - 1) / 2 for j in range(len(order))])
    ax.set_xticklabels(order)
    ax.set_ylabel("top-1 (%)")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=8, ncol=len(Ts) + 1, loc="upper center", bbox_to_anchor=(0.5, -0.12))
    ax.set_title("Ablation (β = 2, α = 0.5, float)")
    p = savefig(fig, out, "table2_ablation.png")
    return ("<p>The paper's Table II on this network: <b>M</b> = mapping (θ/2 initial potential, the Opt "
            "neuron: SDM with α = 1, β = 1, no negative spikes), <b>D</b> = dual threshold (negative spikes "
            "gated by the input memory M), <b>B</b> = burst (β = 2 spikes per step), <b>S</b> = threshold "
            "scaling (α = 0.5). Float model.</p>"
            + table(["M", "D", "B", "S"] + ["T={}".format(t) for t in Ts], rows, "num") + img(p, "ablation"))


def section_alpha(s, out):
    ev = s["eval"]["alpha"]
    ann = ev["ann_top1"]
    Ts = ev["Ts"]
    by = {}
    for r in ev["results"]:
        by.setdefault(r["beta"], {}).setdefault(r["T"], {})[r["alpha"]] = r["top1"]
    betas = sorted(by)
    fig, axes = plt.subplots(1, len(betas), figsize=(9.5, 3.8), sharey=True)
    if len(betas) == 1:
        axes = [axes]
    html_tables = []
    for ax, b in zip(axes, betas):
        for i, t in enumerate(Ts):
            pts = sorted(by[b].get(t, {}).items())
            ax.plot([a for a, _ in pts], [v for _, v in pts], marker="o", color=COLORS[i % len(COLORS)],
                    label="T={}".format(t))
        ax.axhline(ann, color="black", linestyle=":")
        ax.set_title("β = {}".format(b))
        ax.set_xlabel("α")
        ax.grid(alpha=0.3)
        alphas = sorted({a for t in by[b] for a in by[b][t]})
        rows = [["T={}".format(t)] + [acc_cell(by[b][t][a], ann) if a in by[b][t] else "–" for a in alphas]
                for t in Ts]
        html_tables.append("<h3>β = {}</h3>".format(b)
                           + table(["T \\ α"] + ["{:g}".format(a) for a in alphas], rows, "num"))
    axes[0].set_ylabel("top-1 (%)")
    axes[0].set_ylim(0, 100)
    axes[-1].legend(fontsize=7, loc="lower right")
    p = savefig(fig, out, "fig6_alpha.png")
    return ("<p>Sensitivity to the threshold scale α (the paper's Fig. 6): SDM with dual threshold, float "
            "model. Small α lowers the quantization step (θ = αλ) but a step can carry at most αβλ, so "
            "α·β &lt; 1 reintroduces clipping.</p>" + img(p, "alpha sensitivity") + "".join(html_tables))


def run_rows(s, mode):
    """Table I rows at the run's T in `mode`."""
    T = s["settings"]["T"]
    return [r for r in s["eval"]["table1"]["results"] if r["T"] == T and r["mode"] == mode]


def section_layers(s, out):
    T = s["settings"]["T"]
    rows_f = run_rows(s, "float")
    if not rows_f:
        return "<p>No rows at T = {}.</p>".format(T)
    names = [l["name"] for l in rows_f[0]["layers"]]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    w = 0.8 / len(rows_f)
    for i, r in enumerate(rows_f):
        errs = [l.get("conversion_error", float("nan")) for l in r["layers"]]
        fr = [l["firing_rate"] for l in r["layers"]]
        xs = [j + i * w for j in range(len(names))]
        axes[0].bar(xs, errs, w, label=label(r), color=COLORS[i % len(COLORS)])
        axes[1].bar(xs, fr, w, label=label(r), color=COLORS[i % len(COLORS)])
    for ax, t in zip(axes, ["conversion error E|a − mean SNN output|", "firing rate (|spikes| / neuron / step)"]):
        ax.set_xticks([j + w * (len(rows_f) - 1) / 2 for j in range(len(names))])
        ax.set_xticklabels(names, rotation=20, fontsize=8)
        ax.set_title("{} at T = {}".format(t, T), fontsize=10)
        ax.grid(alpha=0.3, axis="y")
    axes[0].legend(fontsize=7)
    p = savefig(fig, out, "fig1_layers.png")
    header = ["method"] + names
    err_rows = [[esc(label(r))] + ["{:.4f}".format(l["conversion_error"]) if "conversion_error" in l else "–"
                                   for l in r["layers"]] for r in rows_f]
    fr_rows = [[esc(label(r))] + ["{:.3f}".format(l["firing_rate"]) for l in r["layers"]] for r in rows_f]
    rows_i = run_rows(s, "int")
    fr_rows_i = [[esc(label(r)) + " (int)"] + ["{:.3f}".format(l["firing_rate"]) for l in r["layers"]]
                 for r in rows_i]
    return ("<p>Per spiking layer at T = {}: the conversion error (the paper's Fig. 1: mean absolute "
            "difference between the ANN activation and the SNN's mean output over T, float model) and the "
            "firing rate (spike count |n| summed over neurons and steps, a burst of n counting n, divided by "
            "neurons × T; a rate above 1 is possible with bursts).</p>".format(T)
            + img(p, "per-layer error and firing rate")
            + "<h3>Conversion error</h3>" + table(header, err_rows, "num")
            + "<h3>Firing rate</h3>" + table(header, fr_rows + fr_rows_i, "num"))


def section_cosim(s, out):
    c = s.get("cosim")
    rtl = s["rtl"]
    pc = rtl["predicted_cycles"]
    parts = []
    if c and c.get("error"):
        parts.append('<p class="bad">Co-simulation failed: {}</p>'.format(esc(c["error"])))
        parts.append(table(["item", "value"], [["cycles per clip, predicted (cycle model)", pc["per_clip"]],
                                                ["ideal dense bound (synaptic ops ÷ (lanes × T) products per cycle)", pc["dense_bound"]]]))
    elif c:
        ok = c["mismatches"] == 0
        sim = c.get("cycles_per_clip") or []
        parts.append(table(["item", "value"], [
            ["clips co-simulated", c["clips"]],
            ["mismatches (every spike of every layer and step, logits, class)",
             '<span class="{}">{}</span>'.format("good" if ok else "bad", c["mismatches"])],
            ["first mismatch", esc(c.get("first_mismatch") or "none")],
            ["cycles per clip, simulated", ", ".join(str(x) for x in sim[:10]) + (" …" if len(sim) > 10 else "")],
            ["cycles per clip, predicted (cycle model)", pc["per_clip"]],
            ["max deviation simulated vs predicted", "{:.3f} %".format(c.get("max_cycle_deviation_percent", 0))],
            ["ideal dense bound (synaptic ops ÷ (lanes × T) products per cycle)", pc["dense_bound"]],
            ["schedule efficiency (bound / predicted)", "{:.1f} %".format(100.0 * pc["dense_bound"] / max(pc["per_clip"], 1))],
            ["Verilator build / run", "{:.0f} s / {:.0f} s".format(c.get("build_seconds", 0), c.get("run_seconds", 0))],
            ["simulation speed", "{} cycles/s".format(fmt_num(c.get("sim_cycles_per_s", 0)))],
        ]))
        fig, ax = plt.subplots(figsize=(6.5, 2.6))
        vals = [pc["dense_bound"], pc["per_clip"], (sum(sim) / len(sim)) if sim else 0]
        labs = ["ideal bound", "predicted", "simulated (mean)"]
        ax.barh(labs, vals, color=[COLORS[2], COLORS[0], COLORS[1]])
        for i, v in enumerate(vals):
            ax.text(v, i, " " + fmt_num(v, 4), va="center", fontsize=8)
        ax.set_xlabel("cycles per clip (millions)")
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: "{:g}".format(v / 1e6)))
        ax.set_xlim(0, max(vals) * 1.25)
        p = savefig(fig, out, "cycles.png")
        parts.append(img(p, "cycles"))
    else:
        parts.append("<p>Co-simulation was skipped (--clips 0).</p>")
    return ("<p>The generated Verilog ({} lanes) run by Verilator against the integer golden model, "
            "spike by spike. The controller is dense (zero spikes are not skipped), so cycles per clip do "
            "not depend on the data; the ideal bound is one synapse per lane per cycle with no "
            "overhead.</p>".format(rtl["lanes"]) + "".join(parts))


def clock_of(j):
    """The clock the bitstream runs at (older results: the target, which was the PLL clock)."""
    return j.get("clock_mhz", j.get("target_mhz", 0))


def clock_text(j):
    """'clock C MHz (Fmax F MHz)', every placement attempt, and a red flag for a clock above Fmax."""
    t = "clock {:.3f} MHz, Fmax {:.2f} MHz".format(clock_of(j), j["fmax_mhz"])
    tries = j.get("attempts") or []
    if len(tries) > 1:
        t += "<br><small>{} placements: {}</small>".format(len(tries), "; ".join(
            "{:.3f} MHz → Fmax {:.2f}{}".format(a["clock_mhz"], a["fmax_mhz"], "" if a["meets_timing"] else " ✗")
            for a in tries))
    if j.get("timing_fail_allowed"):
        t += '<br><span class="bad">TIMING FAILED: the bitstream runs above its Fmax (--allow-timing-fail)</span>'
    elif not j.get("meets_timing"):
        t += '<br><span class="bad">timing failed: no bitstream</span>'
    return t


def section_synth(s, out):
    rows = []
    versions = {}
    for j in s.get("synth", []):
        if "error" in j or "reason" in j:
            rows.append([esc(j["board"]), '<span class="bad">{}</span>'.format(
                esc(j.get("error") or ("skipped: " + j.get("reason", "")))), "", "", "", "", "", "", ""])
            continue
        def u(k):
            a = j.get(k + "_avail", 0)
            return "{} / {}".format(j.get(k, 0), a) if a else str(j.get(k, 0))
        fits = '<span class="good">yes</span>' if j["fits"] else '<span class="bad">no: {}</span>'.format(esc(j.get("overflow", "")))
        if j["fits"]:
            timing = clock_text(j)
        else:
            timing = "– (no placement)"
        rows.append([esc(j["board"]) + "<br><small>{}</small>".format(esc(j.get("device", ""))), fits,
                     u("lut"), u("ff"), u("bram"), u("spram"), u("dsp"), timing,
                     "{:.0f} + {:.0f}".format(j.get("synth_seconds", 0), j.get("pnr_seconds", 0))])
        for k, v in (j.get("tool_versions") or {}).items():
            versions["{} {}".format(j["board"], k)] = v
    if not rows:
        return "<p>Synthesis was skipped (--skip-synth).</p>"
    pc = s["rtl"]["predicted_cycles"]["per_clip"]
    lat = []
    for j in s.get("synth", []):
        f = clock_of(j)
        if j.get("fits") and f and j.get("bitstream"):
            lat.append("latency {}: {:.1f} ms per clip at the {:.3f} MHz clock the bitstream runs at{}".format(
                esc(j["board"]), pc / (f * 1e3), f,
                ' (<span class="bad">above its Fmax</span>)' if j.get("timing_fail_allowed") else ""))
    nofit = [j["board"] for j in s.get("synth", []) if "fits" in j and not j["fits"]]
    if nofit:
        lat.append("does not fit on {}: try fewer lanes (<code>sdmforge run --lanes N</code>) or search the "
                   "largest that fits with <code>sdmforge synth rtl --board B --fit</code>".format(esc(", ".join(nofit))))
    vt = "".join("<li><code>{}</code>: {}</li>".format(esc(k), esc(v)) for k, v in sorted(versions.items()))
    return ("<p>Yosys + nextpnr on the generated accelerator inside the board wrapper (UART link, PLL, "
            "LEDs). Utilization is used / available. The clock is the one the bitstream runs at: "
            "<code>synth --freq auto</code> places at the board's target and, while nextpnr's Fmax is "
            "below it, places again at the highest PLL clock at or below that Fmax.</p>"
            + table(["board", "fits", "LUT", "FF", "BRAM", "SPRAM", "DSP", "clock and Fmax", "synth + P&R (s)"], rows, "num")
            + ("<p>" + "; ".join(lat) + "</p>" if lat else "")
            + ("<p>Tool versions:</p><ul class='notes'>{}</ul>".format(vt) if vt else ""))


def paper_table3():
    """The paper's SDM rows of Table III (report/paper_tables.json, the one copy of the paper's
    figures), each with its energy ratio to the ANN row it was converted from."""
    with open(os.path.join(HERE, "paper_tables.json")) as f:
        t3 = json.load(f)["table_III"]
    ann = {r["method"]: r for r in t3["rows"] if "ann" not in r}
    return [dict(r, T=t3["T"], ratio=r["energy_j"] / ann[r["ann"]]["energy_j"])
            for r in t3["rows"] if "ann" in r]


def section_energy(s, out):
    e = s["energy"]["eq13"]
    h = s["energy"].get("hardware")
    paper = paper_table3()
    T = e["T"]
    rows = [
        ["ANN", "{:.2f}".format(s["ann_top1"]), fmt_num(e["ann_macs"]), "–", "{:.3g}".format(e["ann_pj"] * 1e-6), "1"],
        ["SNN (SDM, T={}, encoding layer once)".format(T), "{:.2f}".format(e["snn_top1"]), fmt_num(e["snn_macs"]),
         fmt_num(e["snn_adds"]), "{:.3g}".format(e["snn_pj"] * 1e-6), "<b>{:.3f}</b>".format(e["ratio"])],
        ["SNN, encoding layer × T", "", fmt_num(e["snn_macs_xT"]), fmt_num(e["snn_adds"]),
         "{:.3g}".format(e["snn_pj_xT"] * 1e-6), "{:.3f}".format(e["ratio_xT"])],
    ]
    for p in paper:
        rows.append(["paper (Table III, T={}): {}".format(p["T"], esc(p["method"])), "{:.2f}".format(p["top1"]),
                     fmt_num(p["op_ann"]), fmt_num(p["op_snn"]),
                     "{:,.0f} ({:.3f} J)".format(p["energy_j"] * 1e6, p["energy_j"]).replace(",", " "),
                     "{:.2f}".format(p["ratio"])])
    lrows = [[esc(l["name"]), l["neurons"], fmt_num(l["spikes_per_clip"]), "{:.3f}".format(l["firing_rate"]),
              "{:.1f}".format(l["fanout"]), fmt_num(l["adds"]), fmt_num(l["other_adds"])] for l in e["layers"]]
    # energy ratio vs T per method (Table I rows)
    er = s["eval"]["table1"].get("energy_rows", [])
    series = {}
    for r in er:
        series.setdefault((label(r), r["mode"]), {})[r["T"]] = (r["ratio"], r["top1"])
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    ax = axes[0]
    ax.bar(["ANN"], [e["ann_pj"] * 1e-6], color=COLORS[7], label="MACs × γ")
    ax.bar(["SNN"], [e["snn_macs"] * e["gamma_pj_per_mac"] * 1e-6], color=COLORS[0], label="encoding MACs × γ")
    ax.bar(["SNN"], [e["snn_adds"] * e["zeta_pj_per_add"] * 1e-6], bottom=[e["snn_macs"] * e["gamma_pj_per_mac"] * 1e-6],
           color=COLORS[1], label="additions × ζ")
    ax.bar(["SNN (enc. × T)"], [e["snn_macs_xT"] * e["gamma_pj_per_mac"] * 1e-6], color=COLORS[0])
    ax.bar(["SNN (enc. × T)"], [e["snn_adds"] * e["zeta_pj_per_add"] * 1e-6],
           bottom=[e["snn_macs_xT"] * e["gamma_pj_per_mac"] * 1e-6], color=COLORS[1])
    ax.set_ylabel("µJ per clip (Eq. 13)")
    ax.set_title("Energy per clip, T = {} (ratio {:.3f})".format(T, e["ratio"]), fontsize=10)
    ax.legend(fontsize=8)
    ax = axes[1]
    names = sorted({k[0] for k in series})
    for k in sorted(series):
        if k[1] != "float":
            continue
        xs = sorted(series[k])
        ax.plot(xs, [series[k][x][0] for x in xs], marker="o", color=COLORS[names.index(k[0]) % len(COLORS)],
                label=k[0])
    ax.axhline(1.0, color="black", linestyle=":")
    ax.set_xscale("log", base=2)
    Ts = sorted({r["T"] for r in er})
    ax.set_xticks(Ts)
    ax.set_xticklabels([str(t) for t in Ts])
    ax.set_xlabel("T")
    ax.set_ylabel("SNN / ANN energy (Eq. 13)")
    ax.set_yscale("log")
    ax.set_title("Energy ratio vs T (float rows)", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    p = savefig(fig, out, "energy.png")
    parts = [("<p>Eq. 13 of the paper: E<sub>SNN</sub>/E<sub>ANN</sub> = (cγ + dζ)/(bγ) with γ = {} pJ per MAC and "
              "ζ = {} pJ per addition (45 nm, 32-bit float). b = dense MACs of every convolution and linear "
              "layer of the ANN; c = MACs of the encoding layer, which sees the constant clip and is computed "
              "once per clip (row 2; row 3 counts it every step, as the paper may have); d = Σ<sub>l</sub> "
              "spikes<sub>l</sub> × fan-out<sub>l</sub> with the spike counts of the integer model on the "
              "evaluation clips (a burst of n spikes = n additions, a negative spike = 1). See "
              "docs/energy.md.</p>").format(e["gamma_pj_per_mac"], e["zeta_pj_per_add"]),
             table(["network", "top-1 (%)", "MACs", "additions", "µJ per clip", "SNN/ANN"], rows, "num"),
             img(p, "energy"),
             "<h3>Per layer (spikes of the integer model at T = {})</h3>".format(T),
             table(["layer", "neurons", "spikes/clip", "firing rate", "fan-out (adds/spike)", "additions (d)",
                    "pool/residual adds (not in Eq. 13)"], lrows, "num")]
    if h:
        hrows = [[esc(i["what"]), fmt_num(i["count"]), i["bits"], fmt_num(i["bytes"]) if i["bytes"] else "–",
                  "{:.3g}".format(i["pj_each"]), "{:.3g}".format(i["pj"] * 1e-6),
                  "{:.1f} %".format(100 * i["pj"] / h["total_pj"] if h["total_pj"] else 0)]
                 for i in sorted(h["items"], key=lambda i: -i["pj"])]
        parts.append("<h3>Hardware-aware estimate of the generated accelerator</h3>")
        parts.append(("<p>The accelerator as generated ({} lanes, dense schedule: {} synapse cycles per clip, "
                      "{} predicted cycles) priced with 45 nm integer and SRAM energies (int8 add {:g} pJ, "
                      "int16 {:g}, int32 {:g}, int8 multiply {:g}; 64-bit SRAM access {:g} pJ at 8 KB, {:g} pJ at "
                      "32 KB, scaled as √size). Total <b>{:.3g} µJ per clip</b>. Not an FPGA power figure: "
                      "an FPGA spends most of its energy in routing and static power.</p>").format(
                          h["lanes"], fmt_num(h["synapse_cycles"]), fmt_num(h["cycles"]),
                          *(h["prices_pj"][k] for k in ("add8", "add16", "add32", "mult8", "sram64_8k", "sram64_32k")),
                          h["total_pj"] * 1e-6))
        parts.append(table(["item", "count per clip", "bits", "memory bytes", "pJ each", "µJ per clip", "share"],
                           hrows, "num"))
    return "".join(parts)


def section_settings(s):
    st = s["settings"]
    d = st.get("data", {})
    tm = s.get("timings", {})
    trows = [[esc(k), "cached" if v.get("cached") else "{:.1f} s".format(v["seconds"])] for k, v in tm.items()]
    rows = [
        ["model", esc(st["model"])],
        ["converted setting", "SDM α = {:g}, β = {}, T = {}, {}-bit weights".format(
            st["alpha"], st["beta"], st["T"], st["config"].get("weight_bits", 8))],
        ["data", esc(d.get("command") or d.get("source", "")) + "<br><small>{}</small>".format(esc(d.get("split_dir", "")))],
        ["evaluation clips", st["eval_clips"]],
        ["co-simulation clips", st["cosim_clips"]],
        ["accelerator lanes", st["lanes"]],
        ["boards", esc(", ".join(st.get("boards") or []) or "none")],
        ["mode", "--quick (CI setting)" if st.get("quick") else "default"],
        ["total run time", "{:.0f} s".format(s.get("seconds", 0))],
    ]
    return table(["setting", "value"], rows) + "<details><summary>stage timings</summary>" + table(["stage", "time"], trows) + "</details>"


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: make_report.py SUMMARY.json OUT_DIR\n")
        sys.exit(2)
    with open(sys.argv[1]) as f:
        s = json.load(f)
    out = sys.argv[2]
    plt.rcParams.update({"font.size": 9})
    e = s["energy"]["eq13"]
    synth_all = [j for j in s.get("synth", []) if "fits" in j]
    c = s.get("cosim")
    headline = [
        ("ANN top-1", "{:.2f} %".format(s["ann_top1"])),
        ("SNN top-1 (int, T={})".format(s["settings"]["T"]), "{:.2f} %".format(e["snn_top1"])),
        ("energy SNN / ANN", "{:.3f}".format(e["ratio"])),
        ("co-sim", "skipped" if not c else ("FAILED" if c.get("error") else
                                            "{} clips, {} mismatches".format(c["clips"], c["mismatches"]))),
        ("FPGA", ", ".join(("{} clock {:.1f} MHz (Fmax {:.1f}){}".format(
            j["board"], clock_of(j), j["fmax_mhz"], ", TIMING FAILED" if j.get("timing_fail_allowed") else "")
                            if j["fits"] else "{}: does not fit".format(j["board"])) for j in synth_all) or "–"),
    ]
    # A bitstream clocked above its Fmax (synth --allow-timing-fail) turns the FPGA card red.
    red = {"FPGA"} if any(j.get("timing_fail_allowed") for j in synth_all) else set()
    cards = "".join('<div class="card"><div class="k">{}</div><div class="v{}">{}</div></div>'.format(
        esc(k), " bad" if k in red else "", esc(v)) for k, v in headline)
    sections = [
        ("settings", "Settings", section_settings(s)),
        ("table1", "Accuracy vs time-steps (Table I)", section_table1(s, out)),
        ("ablation", "Ablation (Table II)", section_ablation(s, out)),
        ("alpha", "α sensitivity (Fig. 6)", section_alpha(s, out)),
        ("layers", "Per-layer conversion error (Fig. 1) and firing rates", section_layers(s, out)),
        ("cosim", "Co-simulation and cycles", section_cosim(s, out)),
        ("fpga", "FPGA resources and Fmax", section_synth(s, out)),
        ("energy", "Energy per clip (Table III analogue)", section_energy(s, out)),
    ]
    toc = "".join('<li><a href="#{}">{}</a></li>'.format(a, esc(t)) for a, t, _ in sections)
    body = "".join('<section id="{}"><h2>{}</h2>{}</section>'.format(a, esc(t), b) for a, t, b in sections)
    with open(os.path.join(HERE, "template.html")) as f:
        tpl = string.Template(f.read())
    page = tpl.safe_substitute(title="sdmforge run report", cards=cards, toc=toc, body=body,
                               subtitle=esc("{} · SDM α={:g} β={} T={}".format(
                                   os.path.basename(s["settings"]["model"]), s["settings"]["alpha"],
                                   s["settings"]["beta"], s["settings"]["T"])))
    with open(os.path.join(out, "index.html"), "w") as f:
        f.write(page)
    print("report: wrote {}".format(os.path.join(out, "index.html")))


if __name__ == "__main__":
    main()
