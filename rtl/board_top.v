// Board-independent top: a UART link (framing in docs/board-protocol.md) around the
// generated accelerator `sdm_accel`. The host sends a clip; its bytes stream into the
// accelerator's pixel port as they arrive; the final pixel is held back until the frame's
// checksum has been checked, then sent with tlast, which starts the run (s_axis_* stream).
// When done_o rises the board takes the result beat (m_axis_*: class and logits, held until
// the next clip starts) and answers with class, logits and the cycle counter, or with an
// error frame.
// A frame that fails (checksum, framing, line idle mid-frame) is still completed towards
// the accelerator (padded with zeros) so that its loader stays in step; its result is
// discarded and an error frame is sent instead.
// Streaming (RX_FIFO_BYTES > 0): received bytes queue in a FIFO in block RAM, so the host
// may send the next clip frame while the current clip computes; the parser takes the queued
// frame at one byte per three cycles once the reply has gone out (the accelerator's pixel bank and
// this FIFO are the two buffers). The Info reply says how many bytes the FIFO holds; with
// RX_FIFO_BYTES = 0 bytes arriving during a run are lost and the host must wait for each
// reply. A byte that finds the FIFO full is dropped (that frame then fails its checksum).
// Timing: the link runs at the accelerator's clock, so nothing here may be slower than the
// datapath. The length field is checked byte by byte against constants (no 32-bit compare
// in the frame parser), a reply starts one cycle after its state is entered (the start
// does not hang off the parser's next-state logic), and the reply byte is a register
// loaded one cycle ahead of the UART handshake (the 45-byte result mux ends in a flop).
module board_top #(
  parameter integer CLK_HZ      = 30000000,
  parameter integer BAUD        = 115200,
  parameter integer NUM_CLASSES = 4,
  parameter integer CLASS_W     = 2,
  parameter integer LOGIT_W     = 24,
  parameter integer CLIP_BYTES  = 256,
  parameter integer IDLE_BITS   = 2000,  // line idle this long (bit times) aborts a frame
  parameter integer RX_FIFO_BYTES = 0    // receive FIFO (0: none; else a power of two >= 4)
) (
  input  wire               clk_i,
  input  wire               rst_ni,
  input  wire               uart_rx_i,
  output wire               uart_tx_o,
  output wire               busy_o,
  output wire               done_o,
  output wire [CLASS_W-1:0] class_o
);
  localparam integer ClksPerBit = (CLK_HZ + BAUD / 2) / BAUD;
  localparam integer IdleBits   = (IDLE_BITS < 64) ? 64 : IDLE_BITS;  // > one error frame
  localparam [31:0]  IdleClks   = IdleBits * ClksPerBit;
  localparam integer IdxWI      = $clog2(CLIP_BYTES + 1);
  localparam integer IdxW       = (IdxWI < 2) ? 2 : IdxWI;
  localparam integer ClipLastI  = CLIP_BYTES - 1;
  localparam [IdxW-1:0] ClipLast = ClipLastI[IdxW-1:0];
  localparam [31:0]  ClipLen    = CLIP_BYTES;  // the length field, little-endian bytes
  localparam integer ResBytes   = 1 + 4 * NUM_CLASSES + 4;  // class, logits, cycles
  localparam integer InfoBytes  = 20;
  localparam integer ResLenI    = ResBytes + 3;  // sync, type, payload, checksum
  localparam integer InfoLenI   = InfoBytes + 3;
  localparam [15:0]  ResLen     = ResLenI[15:0];
  localparam [15:0]  InfoLen    = InfoLenI[15:0];
  localparam [15:0]  ErrLen     = 16'd4;

  // Frame bytes (docs/board-protocol.md).
  localparam [7:0] SyncHost = 8'hA5, SyncBoard = 8'h5A;
  localparam [7:0] TypeClip = 8'h43, TypeInfo = 8'h49, TypeResult = 8'h52, TypeError = 8'h45;
  localparam [7:0] ErrChecksum = 8'h01, ErrLength = 8'h02, ErrType = 8'h03,
                   ErrTimeout = 8'h04, ErrOverrun = 8'h05, ErrFraming = 8'h06;
  localparam [7:0] ProtocolVersion = 8'h02;

  localparam [3:0] PSync = 4'd0, PType = 4'd1, PLen = 4'd2, PPayload = 4'd3, PCsum = 4'd4,
                   PPad = 4'd5, PLast = 4'd6, PRun0 = 4'd7, PRun1 = 4'd8, PSend = 4'd9,
                   PDrain = 4'd10;
  localparam [1:0] KindResult = 2'd0, KindError = 2'd1, KindInfo = 2'd2;

  // ---------------------------------------------------------------- UART
  wire [7:0] rx_data;
  wire       rx_valid, rx_ferr;
  wire       tx_ready;
  reg  [7:0] tx_byte_q, tx_byte_d;
  reg        tx_ok_q;  // tx_byte_q holds the byte of the current tx_idx_q / tx_kind_q
  reg        tx_active_q, tx_active_d;
  wire       tx_valid = tx_active_q && tx_ok_q;
  wire       tx_fire  = tx_valid && tx_ready;

  uart_rx #(.CLKS_PER_BIT(ClksPerBit)) u_rx (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .rx_i       (uart_rx_i),
    .data_o     (rx_data),
    .valid_o    (rx_valid),
    .frame_err_o(rx_ferr)
  );

  uart_tx #(.CLKS_PER_BIT(ClksPerBit)) u_tx (
    .clk_i  (clk_i),
    .rst_ni (rst_ni),
    .data_i (tx_byte_q),
    .valid_i(tx_valid),
    .ready_o(tx_ready),
    .tx_o   (uart_tx_o)
  );

  // ---------------------------------------------------------------- accelerator
  reg                              pix_valid_q, pix_valid_d;
  reg  [7:0]                       pix_data_q, pix_data_d;
  reg                              pix_last_q, pix_last_d;
  wire                             pix_ready;
  wire                             acc_busy, acc_done;
  wire [CLASS_W-1:0]               acc_class;
  wire [NUM_CLASSES*LOGIT_W-1:0]   acc_logits;
  wire [31:0]                      acc_cycles;
  // The result beat (docs/architecture.md, "Interface"): class in the low CLASS_W bits of a
  // byte-padded field, then the logits; taken as soon as it is offered (tready = 1), it
  // holds until the next clip starts. Padding bits and tvalid/tlast are not needed here.
  localparam integer ResCB = (CLASS_W + 7) / 8 * 8;
  localparam integer ResW  = (ResCB + NUM_CLASSES * LOGIT_W + 7) / 8 * 8;
  /* verilator lint_off UNUSEDSIGNAL */
  wire [ResW-1:0]                  acc_result;
  wire                             acc_result_valid, acc_result_last;
  /* verilator lint_on UNUSEDSIGNAL */
  assign acc_class  = acc_result[CLASS_W-1:0];
  assign acc_logits = acc_result[ResCB +: NUM_CLASSES * LOGIT_W];

  // A generated accelerator also has debug trace outputs (trace_*, see its signature.json);
  // the board does not use them, so they are left unconnected on purpose.
  /* verilator lint_off PINMISSING */
  sdm_accel u_accel (
    .clk_i         (clk_i),
    .rst_ni        (rst_ni),
    .s_axis_tdata_i (pix_data_q),
    .s_axis_tvalid_i(pix_valid_q),
    .s_axis_tready_o(pix_ready),
    .s_axis_tlast_i (pix_last_q),
    .m_axis_tdata_o (acc_result),
    .m_axis_tvalid_o(acc_result_valid),
    .m_axis_tready_i(1'b1),
    .m_axis_tlast_o (acc_result_last),
    .start_i        (1'b0),
    .busy_o         (acc_busy),
    .done_o         (acc_done),
    .cnt_sel_i      (8'd0),
    .cnt_val_o      (acc_cycles)
  );
  /* verilator lint_on PINMISSING */

  // Reply payloads as byte vectors, byte i at [8*i +: 8].
  wire [8*ResBytes-1:0]  res_bytes;
  wire [8*InfoBytes-1:0] info_bytes;
  wire [7:0]             class8;

  generate
    if (CLASS_W < 8) begin : g_class_pad
      assign class8 = {{(8 - CLASS_W){1'b0}}, acc_class};
    end else begin : g_class_full
      assign class8 = acc_class[7:0];
    end
    genvar k;
    for (k = 0; k < NUM_CLASSES; k = k + 1) begin : g_logit
      wire [LOGIT_W-1:0] l = acc_logits[k*LOGIT_W +: LOGIT_W];
      if (LOGIT_W < 32) begin : g_sext
        assign res_bytes[8 + 32*k +: 32] = {{(32 - LOGIT_W){l[LOGIT_W-1]}}, l};
      end else begin : g_full
        assign res_bytes[8 + 32*k +: 32] = l[31:0];
      end
    end
  endgenerate
  assign res_bytes[7:0] = class8;
  assign res_bytes[8*ResBytes-1 -: 32] = acc_cycles;

  localparam [31:0] BaudW = BAUD, ClkW = CLK_HZ, ClipW = CLIP_BYTES, FifoW = RX_FIFO_BYTES;
  localparam [7:0]  LogitW8 = LOGIT_W[7:0], ClassW8 = CLASS_W[7:0], Classes8 = NUM_CLASSES[7:0];
  assign info_bytes = {FifoW, BaudW, ClkW, ClipW, LogitW8, ClassW8, Classes8, ProtocolVersion};

  // ---------------------------------------------------------------- link FSM
  reg [3:0]      state_q, state_d;
  reg [7:0]      type_q, type_d;
  reg            len_clip_q, len_clip_d;  // length bytes so far equal CLIP_BYTES's
  reg            len_zero_q, len_zero_d;  // length bytes so far are zero
  reg [IdxW-1:0] idx_q, idx_d;
  reg [7:0]      csum_q, csum_d;
  reg [7:0]      err_q, err_d;
  reg [7:0]      last_q, last_d;
  reg [31:0]     idle_q, idle_d;
  reg            start_q, start_d;        // first cycle of PSend / PDrain: start the reply
  reg [1:0]      tx_kind_q, tx_kind_d;
  reg [15:0]     tx_idx_q, tx_idx_d;
  reg [7:0]      tx_csum_q, tx_csum_d;
  reg [7:0]      tx_err_q, tx_err_d;

  // The parser's byte: straight from uart_rx, or the FIFO's head when the parser is in a
  // state that takes bytes (not while it pads, loads, runs or replies; in PPayload only when
  // the pixel can be pushed, so a queued frame never overruns the accelerator).
  wire       b_valid, b_ferr;  // a byte (or a framing error, which still occupies a slot)
  wire [7:0] b_data;
  wire       takes    = (state_q == PSync || state_q == PType || state_q == PLen ||
                         state_q == PCsum || state_q == PDrain ||
                         (state_q == PPayload && (!pix_valid_q || pix_ready)));
  generate
    if (RX_FIFO_BYTES > 0) begin : g_rx_fifo
      localparam integer FAW = $clog2(RX_FIFO_BYTES);
      reg  [8:0]   mem [0:RX_FIFO_BYTES-1];
      reg  [FAW:0] wr_q, rd_q;  // one bit wider than the address: full vs empty
      // The block RAM's read register (ram_q) is copied into a fabric register (head_q)
      // before the parser sees it: a DP16KD output has ~6 ns clock-to-out, too slow to feed
      // the parser's next-state logic. One byte per three cycles drains a queued frame in
      // 3 x CLIP_BYTES cycles, far below a run.
      reg  [8:0]   ram_q, head_q;
      reg          rd_pend_q, head_v_q;
      wire         empty = (wr_q == rd_q);
      wire         full  = (wr_q[FAW] != rd_q[FAW]) && (wr_q[FAW-1:0] == rd_q[FAW-1:0]);
      wire         push  = (rx_valid || rx_ferr) && !full;
      wire         pop   = head_v_q && takes;
      wire         rd    = !empty && !head_v_q && !rd_pend_q;
      always @(posedge clk_i) begin
        if (push) mem[wr_q[FAW-1:0]] <= {rx_ferr, rx_data};
        if (rd) ram_q <= mem[rd_q[FAW-1:0]];
        if (rd_pend_q) head_q <= ram_q;
      end
      always @(posedge clk_i) begin
        if (!rst_ni) begin
          wr_q      <= {(FAW + 1){1'b0}};
          rd_q      <= {(FAW + 1){1'b0}};
          rd_pend_q <= 1'b0;
          head_v_q  <= 1'b0;
        end else begin
          if (push) wr_q <= wr_q + 1'b1;
          if (rd) rd_q <= rd_q + 1'b1;
          rd_pend_q <= rd;
          head_v_q  <= rd_pend_q || (head_v_q && !pop);
        end
      end
      assign b_valid = pop && !head_q[8];
      assign b_ferr  = pop && head_q[8];
      assign b_data  = head_q[7:0];
    end else begin : g_rx_direct
      /* verilator lint_off UNUSEDSIGNAL */
      wire unused_takes = takes;
      /* verilator lint_on UNUSEDSIGNAL */
      assign b_valid = rx_valid;
      assign b_ferr  = rx_ferr;
      assign b_data  = rx_data;
    end
  endgenerate
  wire        rx_byte  = b_valid | b_ferr;
  wire        timeout  = (idle_q == IdleClks);
  wire        can_push = !pix_valid_q || pix_ready;
  wire [15:0] tx_len   = (tx_kind_q == KindResult) ? ResLen :
                         (tx_kind_q == KindInfo) ? InfoLen : ErrLen;
  wire [15:0] tx_rel   = tx_idx_q - 16'd2;
  wire [7:0]  len_byte = ClipLen[8*idx_q[1:0] +: 8];
  wire        clip_ok  = len_clip_q && (b_data == len_byte);
  wire        zero_ok  = len_zero_q && (b_data == 8'd0);

  // Reply byte for tx_idx_q, registered: uart_tx takes it only when tx_ok_q says it is
  // current (the index or kind changed last cycle otherwise).
  always @* begin
    if (tx_idx_q == 16'd0) tx_byte_d = SyncBoard;
    else if (tx_idx_q == 16'd1)
      tx_byte_d = (tx_kind_q == KindResult) ? TypeResult :
                  (tx_kind_q == KindInfo) ? TypeInfo : TypeError;
    else if (tx_idx_q == tx_len - 16'd1) tx_byte_d = tx_csum_q;
    else if (tx_kind_q == KindResult) tx_byte_d = res_bytes[8*tx_rel +: 8];
    else if (tx_kind_q == KindInfo) tx_byte_d = info_bytes[8*tx_rel +: 8];
    else tx_byte_d = tx_err_q;
  end

  // First error of a frame wins.
  function automatic [7:0] first_err(input [7:0] cur, input [7:0] code);
    first_err = (cur != 8'd0) ? cur : code;
  endfunction

  always @* begin
    state_d     = state_q;
    type_d      = type_q;
    len_clip_d  = len_clip_q;
    len_zero_d  = len_zero_q;
    idx_d       = idx_q;
    csum_d      = csum_q;
    err_d       = err_q;
    last_d      = last_q;
    idle_d      = (rx_byte || timeout) ? (rx_byte ? 32'd0 : idle_q) : idle_q + 32'd1;
    pix_valid_d = pix_valid_q && !pix_ready;
    pix_data_d  = pix_data_q;
    pix_last_d  = pix_last_q;
    tx_active_d = tx_active_q;
    tx_kind_d   = tx_kind_q;
    tx_idx_d    = tx_idx_q;
    tx_csum_d   = tx_csum_q;
    tx_err_d    = tx_err_q;
    start_d     = 1'b0;

    // Transmit sequencer: one byte per uart_tx handshake, checksum over type..payload.
    if (tx_fire) begin
      tx_idx_d = tx_idx_q + 16'd1;
      if (tx_idx_q != 16'd0) tx_csum_d = tx_csum_q + tx_byte_q;
      if (tx_idx_q == tx_len - 16'd1) tx_active_d = 1'b0;
    end

    if (rx_byte && b_ferr && state_q != PSync && state_q != PDrain)
      err_d = first_err(err_q, ErrFraming);

    case (state_q)
      PSync: begin
        if (b_valid && b_data == SyncHost) begin
          state_d = PType;
          csum_d  = 8'd0;
          err_d   = 8'd0;
        end
      end
      PType: begin
        if (rx_byte) begin
          type_d     = b_data;
          csum_d     = csum_q + b_data;
          idx_d      = {IdxW{1'b0}};
          len_clip_d = 1'b1;
          len_zero_d = 1'b1;
          state_d = PLen;
        end else if (timeout) begin
          err_d   = ErrTimeout;
          state_d = PSend;
        end
      end
      PLen: begin
        if (rx_byte) begin
          len_clip_d = clip_ok;
          len_zero_d = zero_ok;
          csum_d     = csum_q + b_data;
          idx_d      = idx_q + 1'b1;
          if (idx_q[1:0] == 2'd3) begin
            idx_d = {IdxW{1'b0}};
            if (type_q == TypeClip) begin
              if (clip_ok) state_d = PPayload;
              else begin
                err_d   = ErrLength;
                state_d = PDrain;
              end
            end else if (type_q == TypeInfo) begin
              if (zero_ok) state_d = PCsum;
              else begin
                err_d   = ErrLength;
                state_d = PDrain;
              end
            end else begin
              err_d   = ErrType;
              state_d = PDrain;
            end
          end
        end else if (timeout) begin
          err_d   = ErrTimeout;
          state_d = PSend;
        end
      end
      PPayload: begin
        if (rx_byte) begin
          csum_d = csum_q + b_data;
          if (idx_q == ClipLast) begin
            last_d  = b_data;
            state_d = PCsum;
          end else begin
            idx_d = idx_q + 1'b1;
            if (can_push) begin
              pix_valid_d = 1'b1;
              pix_data_d  = b_data;
              pix_last_d  = 1'b0;
            end else begin
              err_d = first_err(err_d, ErrOverrun);
            end
          end
        end else if (timeout) begin
          err_d   = first_err(err_q, ErrTimeout);
          state_d = PPad;
        end
      end
      PPad: begin  // complete an aborted clip with zeros so the accelerator stays in step
        if (idx_q == ClipLast) begin
          last_d  = 8'd0;
          state_d = PLast;
        end else if (can_push) begin
          pix_valid_d = 1'b1;
          pix_data_d  = 8'd0;
          pix_last_d  = 1'b0;
          idx_d       = idx_q + 1'b1;
        end
      end
      PCsum: begin
        if (rx_byte || timeout) begin
          if (!rx_byte) err_d = first_err(err_q, ErrTimeout);
          else if (b_data != csum_q) err_d = first_err(err_d, ErrChecksum);
          state_d = (type_q == TypeClip) ? PLast : PSend;
        end
      end
      PLast: begin
        if (can_push) begin
          pix_valid_d = 1'b1;
          pix_data_d  = last_q;
          pix_last_d  = 1'b1;
          state_d     = PRun0;
        end
      end
      PRun0: begin  // the final pixel was taken and the run has started
        if (!pix_valid_q && !acc_done) state_d = PRun1;
      end
      PRun1: begin
        if (acc_done) state_d = PSend;
      end
      PSend: begin
        if (!tx_active_q && !start_q) state_d = PSync;
      end
      default: begin  // PDrain: ignore the rest of a bad frame until the line is idle
        if (timeout) state_d = PSync;
      end
    endcase

    // A reply starts in the first cycle of PSend / PDrain; err_q and type_q are final then.
    if ((state_d == PSend || state_d == PDrain) && state_q != state_d) start_d = 1'b1;
    if (start_q) begin
      tx_active_d = 1'b1;
      tx_idx_d    = 16'd0;
      tx_csum_d   = 8'd0;
      tx_err_d    = err_q;
      if (err_q != 8'd0) tx_kind_d = KindError;
      else if (type_q == TypeInfo) tx_kind_d = KindInfo;
      else tx_kind_d = KindResult;
    end
  end

  always @(posedge clk_i) begin
    if (!rst_ni) begin
      state_q     <= PSync;
      type_q      <= 8'd0;
      len_clip_q  <= 1'b0;
      len_zero_q  <= 1'b0;
      idx_q       <= {IdxW{1'b0}};
      csum_q      <= 8'd0;
      err_q       <= 8'd0;
      last_q      <= 8'd0;
      idle_q      <= 32'd0;
      pix_valid_q <= 1'b0;
      pix_data_q  <= 8'd0;
      pix_last_q  <= 1'b0;
      tx_active_q <= 1'b0;
      tx_kind_q   <= KindResult;
      tx_idx_q    <= 16'd0;
      tx_csum_q   <= 8'd0;
      tx_err_q    <= 8'd0;
      start_q     <= 1'b0;
    end else begin
      state_q     <= state_d;
      type_q      <= type_d;
      len_clip_q  <= len_clip_d;
      len_zero_q  <= len_zero_d;
      idx_q       <= idx_d;
      csum_q      <= csum_d;
      err_q       <= err_d;
      last_q      <= last_d;
      idle_q      <= idle_d;
      pix_valid_q <= pix_valid_d;
      pix_data_q  <= pix_data_d;
      pix_last_q  <= pix_last_d;
      tx_active_q <= tx_active_d;
      tx_kind_q   <= tx_kind_d;
      tx_idx_q    <= tx_idx_d;
      tx_csum_q   <= tx_csum_d;
      tx_err_q    <= tx_err_d;
      start_q     <= start_d;
    end
  end

  // Reply byte register: no reset needed, tx_ok_q gates it.
  always @(posedge clk_i) begin
    tx_byte_q <= tx_byte_d;
    tx_ok_q   <= rst_ni && !tx_fire && !start_q;
  end

  assign busy_o  = acc_busy;
  assign done_o  = acc_done;
  assign class_o = acc_class;
endmodule
