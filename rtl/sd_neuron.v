// sd_neuron: pipelined SD neuron (SPEC §2, §3), bit-exact hardware of
// sdm::IntRule::step in golden/neuron.h. One time-step per cycle.
//
// Rule (threshold 2^F, v and M are PW-bit two's complement and saturate):
//   v = sat(v + I); M = sat(M + I)
//   n = min(BETA, v >>> F)      if v >= 2^F
//     = -1                      if DUAL and v <= -2^F and M > 0
//     = 0                       otherwise
//   v = v - n * 2^F
// A neuron starts (first_i = 1) from v = 2^(F-1) (INIT_HALF) or 0, and M = 0.
//
// Pipeline (latency 2 cycles, 1 step per cycle):
//   stage 1 (edge k):   vs_q = sat(base + cur_i), ms_q = sat(mbase + cur_i)
//   stage 2 (edge k+1): n_q, v_q (potential after reset), m_q from vs_q/ms_q
// where base/mbase = (v0, 0) when first_i, else the state after the previous step.
// The reset of step t is computed combinationally from vs_q and forwarded straight
// into the stage-1 adder of step t+1, so consecutive steps of one neuron can be fed
// on consecutive cycles with no stall. Stage 1 holds its registers while valid_i is
// low, so bubbles between two steps of the same neuron are harmless. The unit keeps
// the state of ONE neuron: feed t = 1..T of a neuron (first_i on t = 1), then the
// next neuron; do not interleave neurons.
//
// STEP_GAP = 2 (used by the generated accelerator, which feeds a neuron's next step no
// sooner than 2 cycles after the previous one: a whole synapse loop lies between them)
// takes v from the stage-2 register v_q instead: the loop then spans two cycles,
// vs_q -> reset -> v_q and v_q -> adder -> saturate -> vs_q, and Fmax no longer depends on
// the reset and the adder together. Steps of one neuron MUST then be >= 2 cycles apart.
//
// With STEP_GAP = 1 the loop that limits Fmax is vs_q -> reset -> adder -> saturate -> vs_q; the reset
// is written as a mux of precomputed candidates (hi - BETA, 0, hi + 1, hi) on the
// upper PW-F bits only, because subtracting n * 2^F never changes the low F bits.
`default_nettype none

module sd_neuron #(
  parameter integer ACC_W     = 16,  // width of the input current
  parameter integer PW        = 18,  // width of potential v and input memory M
  parameter integer F         = 7,   // threshold = 2^F, 0 <= F <= PW-1
  parameter integer BETA      = 5,   // burst cap, 1 <= BETA <= 2^(N_W-1)-1
  parameter integer DUAL      = 1,   // 1: negative spike branch with input memory M
  parameter integer INIT_HALF = 1,   // 1: v(0) = 2^(F-1), else 0
  parameter integer N_W       = 4,   // signed spike-count width, 2..8
  parameter integer STEP_GAP  = 1    // min cycles between two steps of one neuron: 1 or 2
) (
  input  wire                    clk_i,
  input  wire                    rst_ni,   // synchronous, active low
  input  wire                    valid_i,  // a current for one time-step
  input  wire                    first_i,  // time-step t = 1 of a new neuron
  input  wire signed [ACC_W-1:0] cur_i,    // input current I(t)
  output wire                    valid_o,  // n_o/v_o/m_o hold the step fed 2 cycles ago
  output wire signed [N_W-1:0]   n_o,      // signed spike count, -1..BETA
  output wire signed [PW-1:0]    v_o,      // potential after the reset
  output wire signed [PW-1:0]    m_o       // input memory M
);
  // Invalid parameters stop elaboration: the module below does not exist.
  generate
    if (F < 0 || F > PW - 1 || PW < 2 || ACC_W < 1 || N_W < 2 || N_W > 8 ||
        BETA < 1 || BETA > (1 << (N_W - 1)) - 1 || DUAL < 0 || DUAL > 1 ||
        INIT_HALF < 0 || INIT_HALF > 1 || STEP_GAP < 1 || STEP_GAP > 2) begin : g_bad_params
      sd_neuron_invalid_parameters u_invalid_parameters ();
    end
  endgenerate

  localparam integer SW = (PW > ACC_W ? PW : ACC_W) + 1;  // exact sum width
  localparam integer HW = PW - F;                         // width of v >>> F
  localparam integer CW = (HW > 8 ? HW : 8) + 1;          // hi compared with BETA
  localparam [CW-1:0] BETA_C = BETA[CW-1:0];
  localparam [HW-1:0] BETA_H = BETA_C[HW-1:0];            // hi - BETA, mod 2^HW
  localparam [N_W-1:0] BETA_N = BETA_C[N_W-1:0];
  localparam [PW-1:0] V0 = (INIT_HALF == 1 && F > 0) ? ({{(PW - 1){1'b0}}, 1'b1} << (F - 1))
                                                    : {PW{1'b0}};

  // ---------------------------------------------------------------------------
  // Stage 2 combinational part: spike count and reset of the step in stage 1.
  // ---------------------------------------------------------------------------
  reg  signed [PW-1:0] vs_q;  // sat(v + I) of the step in stage 2
  reg  signed [PW-1:0] ms_q;  // sat(M + I) of the step in stage 2
  wire [HW-1:0] hi = vs_q[PW-1:F];  // floor(v / 2^F)
  wire [CW-1:0] hi_c = {{(CW - HW){hi[HW-1]}}, hi};
  wire          hi_pos = !hi[HW-1] && (|hi);                 // v >= 2^F
  wire          hi_cap = !hi[HW-1] && (hi_c >= BETA_C);       // v >>> F >= BETA
  wire          v_le_neg;                                     // v <= -2^F
  wire [PW-1:0] v_after;

  generate
    if (F > 0) begin : g_lo
      wire [F-1:0] lo = vs_q[F-1:0];
      // v <= -2^F  <=>  hi <= -2, or hi == -1 and the low bits are zero
      assign v_le_neg = hi[HW-1] && (!(&hi) || !(|lo));
      assign v_after[F-1:0] = lo;
    end else begin : g_no_lo
      assign v_le_neg = hi[HW-1];
    end
  endgenerate

  wire          m_pos;                                        // M > 0 of this step
  wire          neg = (DUAL == 1) && v_le_neg && m_pos;
  wire [N_W-1:0] n = hi_cap ? BETA_N :
                     hi_pos ? hi_c[N_W-1:0] :
                     neg    ? {N_W{1'b1}} : {N_W{1'b0}};
  assign v_after[PW-1:F] = hi_cap ? hi - BETA_H :
                           hi_pos ? {HW{1'b0}} :
                           neg    ? hi + {{(HW - 1){1'b0}}, 1'b1} : hi;

  // ---------------------------------------------------------------------------
  // Stage 1: saturating v + I and M + I, starting from (v0, 0) on first_i.
  // ---------------------------------------------------------------------------
  wire [PW-1:0] v_prev;  // potential after the previous step's reset
  wire [PW-1:0] v_base = first_i ? V0 : v_prev;
  wire [PW-1:0] m_prev;  // M after the previous step
  wire [PW-1:0] m_base = first_i ? {PW{1'b0}} : m_prev;
  wire [SW-1:0] cur_x = {{(SW - ACC_W){cur_i[ACC_W-1]}}, cur_i};
  wire [SW-1:0] v_sum = {{(SW - PW){v_base[PW-1]}}, v_base} + cur_x;
  wire [SW-1:0] m_sum = {{(SW - PW){m_base[PW-1]}}, m_base} + cur_x;
  // The sum fits in PW bits iff its bits SW-1..PW-1 are all equal.
  wire          v_ovf = !((&v_sum[SW-1:PW-1]) || !(|v_sum[SW-1:PW-1]));
  wire          m_ovf = !((&m_sum[SW-1:PW-1]) || !(|m_sum[SW-1:PW-1]));
  wire [PW-1:0] v_sat = v_ovf ? {v_sum[SW-1], {(PW - 1){!v_sum[SW-1]}}} : v_sum[PW-1:0];
  wire [PW-1:0] m_sat = m_ovf ? {m_sum[SW-1], {(PW - 1){!m_sum[SW-1]}}} : m_sum[PW-1:0];

  reg valid1_q;
  always @(posedge clk_i) begin
    if (!rst_ni) begin
      valid1_q <= 1'b0;
      vs_q     <= {PW{1'b0}};
      ms_q     <= {PW{1'b0}};
    end else begin
      valid1_q <= valid_i;
      if (valid_i) begin
        vs_q    <= v_sat;
        ms_q    <= m_sat;
      end
    end
  end

  // ---------------------------------------------------------------------------
  // Stage 2 registers: the step's results.
  // ---------------------------------------------------------------------------
  reg                valid2_q;
  reg  signed [N_W-1:0] n_q;
  reg  signed [PW-1:0]  v_q;
  reg  signed [PW-1:0]  m_q;
  always @(posedge clk_i) begin
    if (!rst_ni) begin
      valid2_q <= 1'b0;
      n_q      <= {N_W{1'b0}};
      v_q      <= {PW{1'b0}};
      m_q      <= {PW{1'b0}};
    end else begin
      valid2_q <= valid1_q;
      if (valid1_q) begin
        n_q <= n;
        v_q <= v_after;
        m_q <= ms_q;
      end
    end
  end

  // STEP_GAP = 2: v and M loop through the stage-2 registers, and M > 0 is decided in
  // stage 2 (off the M adder's path). STEP_GAP = 1: forwarded, M > 0 decided in stage 1.
  generate
    if (STEP_GAP == 2) begin : g_loop2
      assign v_prev = v_q;
      assign m_prev = m_q;
      assign m_pos  = !ms_q[PW-1] && (|ms_q);
    end else begin : g_loop1
      // M > 0 is decided in stage 1, outside the v feedback loop.
      reg m_pos_q;
      always @(posedge clk_i) begin
        if (!rst_ni) m_pos_q <= 1'b0;
        else if (valid_i) m_pos_q <= !m_sat[PW-1] && (|m_sat);
      end
      assign v_prev = v_after;
      assign m_prev = ms_q;
      assign m_pos  = m_pos_q;
    end
  endgenerate

  assign valid_o = valid2_q;
  assign n_o     = n_q;
  assign v_o     = v_q;
  assign m_o     = m_q;
endmodule

`default_nettype wire
