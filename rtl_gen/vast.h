// VAST: a small subset-of-Verilog-2005 AST, built as data and printed only by Emit().
// The accelerator generator builds every module through it; nobody splices strings.
// See docs/verilog-emitter.md for a walk-through and the naming convention.
//
// Ownership: a VerilogFile owns every node (an arena); all handles (Module*, Expr*,
// LogicRef*, Block*, ...) are plain pointers valid for the file's lifetime.
//
// Checks (each throws sdm::Error with a one-line message):
//   - at declaration: identifiers are legal, not Verilog/SystemVerilog keywords, and
//     unique in their module (modules unique in their file);
//   - at expression construction, when widths are concrete: operands of arithmetic,
//     bitwise, comparison and ternary operators have equal widths, arithmetic and
//     relational operands agree in signedness, assignments and port connections match
//     in width -- the rules under which Verilator -Wall reports no WIDTH warning;
//   - procedural blocks: nonblocking assignments only in clocked blocks, blocking only
//     in combinational ones; only regs are assigned procedurally, only wires
//     continuously;
//   - at Emit(): every wire/reg/output is driven, every input/wire/reg/parameter is
//     read, no reg is driven from two always blocks.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "golden/error.h"

namespace sdm::vast {

class Def;
class Expr;
class LogicRef;
class Module;
class VerilogFile;

// ---------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------

// True if `s` is a legal Verilog identifier that is not a (System)Verilog keyword.
bool IsLegalIdentifier(std::string_view s);
// Throws sdm::Error naming `what` and `s` unless IsLegalIdentifier(s).
void CheckIdentifier(std::string_view s, std::string_view what);

namespace internal {
void CheckNamePart(std::string_view part);  // throws on an empty part
inline void AppendNamePart(std::string& out, std::string_view part) {
  CheckNamePart(part);
  if (!out.empty()) out += '_';
  out += part;
}
inline void AppendNamePart(std::string& out, const std::string& part) {
  AppendNamePart(out, std::string_view(part));
}
inline void AppendNamePart(std::string& out, const char* part) {
  AppendNamePart(out, std::string_view(part));
}
inline void AppendNamePart(std::string& out, int part) {
  AppendNamePart(out, std::string_view(std::to_string(part)));
}
}  // namespace internal

// Joins parts with '_' so generated names say where they came from:
// Name("l3_conv", "acc") == "l3_conv_acc"; Name("lane", 2, "n") == "lane_2_n".
// Throws if an part is empty or the result is not a legal identifier.
template <typename... Parts>
std::string Name(const Parts&... parts) {
  std::string out;
  (internal::AppendNamePart(out, parts), ...);
  CheckIdentifier(out, "generated name");
  return out;
}

// ---------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------

// Width and signedness of a signal, port or memory word. The width is either a
// concrete number of bits or a parameter expression (printed as [expr-1:0]);
// width checks only apply to concrete widths.
struct Type {
  int width = 1;
  const Expr* width_expr = nullptr;
  bool is_signed = false;

  static Type Bits(int w);                              // [w-1:0], unsigned
  static Type SBits(int w);                             // signed [w-1:0]
  static Type Param(const Expr* w, bool is_signed = false);  // [w-1:0]
  std::optional<int> bits() const {
    return width_expr ? std::nullopt : std::optional<int>(width);
  }
};

// ---------------------------------------------------------------------------------
// Expressions
// ---------------------------------------------------------------------------------

// Operator precedence, lowest first (IEEE 1364-2005 Table 5-4).
enum class Prec {
  kTernary, kLogOr, kLogAnd, kBitOr, kBitXor, kBitAnd, kEquality, kRelational,
  kShift, kAdditive, kMultiplicative, kUnary, kPrimary
};

class Expr {
 public:
  virtual ~Expr() = default;
  virtual std::string Emit() const = 0;
  virtual Prec precedence() const { return Prec::kPrimary; }
  // Calls `fn` on each direct operand.
  virtual void ForEachChild(const std::function<void(const Expr*)>& fn) const {
    (void)fn;
  }
  // Self-determined width, when concrete.
  std::optional<int> width() const { return width_; }
  bool is_signed() const { return signed_; }

 protected:
  std::optional<int> width_;
  bool signed_ = false;
  friend class VerilogFile;
};

enum class DefKind { kInput, kOutput, kWire, kReg, kMemory, kParameter, kLocalParam };

// A declared name: port, signal, memory or parameter.
class Def {
 public:
  std::string name;
  DefKind kind;
  Type type;
  bool output_is_reg = false;      // `output reg`, driven procedurally
  int depth = 0;                   // kMemory: number of words
  std::string init_file;           // kMemory: $readmemh file, "" for none
  const Expr* value = nullptr;     // kParameter / kLocalParam: (default) value
  bool param_typed = false;        // parameter/localparam printed with its range
  std::string comment;             // trailing comment on the declaration

  bool procedural() const {
    return kind == DefKind::kReg || kind == DefKind::kMemory ||
           (kind == DefKind::kOutput && output_is_reg);
  }
};

// A reference to a declared name; the only expression that can be assigned.
class LogicRef : public Expr {
 public:
  explicit LogicRef(Def* def);
  std::string Emit() const override { return def_->name; }
  Def* def() const { return def_; }
  const std::string& name() const { return def_->name; }

 private:
  Def* def_;
};

// ---------------------------------------------------------------------------------
// Statements (inside always / initial blocks)
// ---------------------------------------------------------------------------------

enum class BlockKind { kClocked, kComb };

class Statement;
class If;
class Case;

// A begin/end sequence of statements. Its kind fixes which assignment it accepts.
class Block {
 public:
  Block(VerilogFile* file, BlockKind kind) : file_(file), kind_(kind) {}
  // `lhs <= rhs;` -- clocked blocks only.
  void Nonblocking(const Expr* lhs, const Expr* rhs);
  // `lhs = rhs;` -- combinational blocks only.
  void Blocking(const Expr* lhs, const Expr* rhs);
  // if (cond) ...; add branches through the returned handle.
  If* AddIf(const Expr* cond);
  // case (sel) ... endcase; always printed with a default item.
  Case* AddCase(const Expr* sel);
  void AddComment(std::string text);

  const std::vector<Statement*>& statements() const { return stmts_; }
  BlockKind kind() const { return kind_; }
  void Emit(std::string& out, int indent) const;

 private:
  VerilogFile* file_;
  BlockKind kind_;
  std::vector<Statement*> stmts_;
};

class Statement {
 public:
  virtual ~Statement() = default;
  virtual void Emit(std::string& out, int indent) const = 0;
};

class Assignment : public Statement {
 public:
  Assignment(const Expr* lhs, const Expr* rhs, bool blocking)
      : lhs(lhs), rhs(rhs), blocking(blocking) {}
  void Emit(std::string& out, int indent) const override;
  const Expr* lhs;
  const Expr* rhs;
  bool blocking;
};

class CommentStatement : public Statement {
 public:
  explicit CommentStatement(std::string text) : text(std::move(text)) {}
  void Emit(std::string& out, int indent) const override;
  std::string text;
};

class If : public Statement {
 public:
  If(VerilogFile* file, BlockKind kind, const Expr* cond);
  Block* then_block() { return arms_.front().second; }
  // `else if (cond)`; returns its block.
  Block* ElseIf(const Expr* cond);
  // `else`; returns its block (one per If).
  Block* Else();
  void Emit(std::string& out, int indent) const override;
  const std::vector<std::pair<const Expr*, Block*>>& arms() const { return arms_; }
  const Block* else_block() const { return else_; }

 private:
  VerilogFile* file_;
  BlockKind kind_;
  std::vector<std::pair<const Expr*, Block*>> arms_;
  Block* else_ = nullptr;
};

class Case : public Statement {
 public:
  Case(VerilogFile* file, BlockKind kind, const Expr* sel);
  // An item matching any of `labels` (widths must equal the selector's).
  Block* AddItem(std::vector<const Expr*> labels);
  // The default item (printed as `default: ;` if never requested).
  Block* Default();
  void Emit(std::string& out, int indent) const override;
  const Expr* selector() const { return sel_; }
  const std::vector<std::pair<std::vector<const Expr*>, Block*>>& items() const {
    return items_;
  }
  const Block* default_block() const { return default_; }

 private:
  VerilogFile* file_;
  BlockKind kind_;
  const Expr* sel_;
  std::vector<std::pair<std::vector<const Expr*>, Block*>> items_;
  Block* default_ = nullptr;
};

// ---------------------------------------------------------------------------------
// Module items
// ---------------------------------------------------------------------------------

// A flop: `<name>_d` (next value, you drive it) and `<name>_q` (current value).
struct Register {
  LogicRef* d;
  LogicRef* q;
};

struct RegisterOptions {
  const Expr* enable = nullptr;  // load d only when enable (1 bit) is high
  bool d_is_reg = false;         // declare d as `reg` (drive it in an always @*)
  std::string comment;           // trailing comment on the q declaration
};

// One parameter or port connection of an instance.
struct Connection {
  std::string name;
  const Expr* expr;
};

class ModuleItem {
 public:
  virtual ~ModuleItem() = default;
  virtual void Emit(std::string& out) const = 0;
};

// ---------------------------------------------------------------------------------
// Module
// ---------------------------------------------------------------------------------

class Module {
 public:
  Module(VerilogFile* file, std::string name, bool is_extern);

  const std::string& name() const { return name_; }
  VerilogFile* file() const { return file_; }
  bool is_extern() const { return is_extern_; }

  // Header comment lines printed above `module`.
  void AddHeaderComment(std::string text);
  // A synthesis attribute printed as `(* text *)` on the line before `module`
  // (e.g. "keep_hierarchy": Yosys keeps the module's instances apart).
  void AddAttribute(std::string text);

  // Declarations. Each returns a reference usable in expressions.
  LogicRef* AddParameter(std::string_view name, const Expr* default_value,
                         std::optional<Type> type = std::nullopt);
  LogicRef* AddLocalParam(std::string_view name, const Expr* value,
                          std::optional<Type> type = std::nullopt);
  LogicRef* AddInput(std::string_view name, Type type = Type::Bits(1));
  LogicRef* AddOutput(std::string_view name, Type type = Type::Bits(1),
                      bool is_reg = false);
  LogicRef* AddWire(std::string_view name, Type type, std::string comment = "");
  LogicRef* AddReg(std::string_view name, Type type, std::string comment = "");
  // reg [W-1:0] name [0:depth-1]; with `initial $readmemh(init_file, name);` if given.
  LogicRef* AddMemory(std::string_view name, Type word, int depth,
                      std::string init_file = "");

  // `assign lhs = rhs;` -- lhs is a wire/output wire (or a select/concat of them).
  void AddAssign(const Expr* lhs, const Expr* rhs);
  // A wire declared and assigned in one go: `wire [w-1:0] name = rhs` (printed as a
  // declaration plus an assign). Its type is taken from rhs (must be concrete).
  LogicRef* AddWireAssign(std::string_view name, const Expr* rhs,
                          std::string comment = "");

  // The flop helper. Declares `<name>_q` (reg) and `<name>_d` (wire, or reg when
  // opts.d_is_reg) and adds q to the always block of its (clk, rst_n) group: one
  // `always @(posedge clk)` per group, synchronous active-low reset `if (!rst_n)`.
  // reset_value == nullptr: no reset (e.g. a RAM/ROM read register), separate block.
  Register AddRegister(std::string_view name, Type type, const Expr* reset_value,
                       LogicRef* clk, LogicRef* rst_n, RegisterOptions opts = {});

  // Hand-written blocks, for what AddRegister cannot express (memory write ports).
  Block* AddAlwaysFf(LogicRef* clk);   // always @(posedge clk) begin ... end
  Block* AddAlwaysComb();              // always @* begin ... end (defaults first!)

  // Named instance of `module` (a module of this file or an extern declaration).
  // Every port must be connected; parameters must exist; widths must match when
  // concrete on both sides. Output ports must connect to wires (or selects of them).
  void AddInstance(const Module* module, std::string_view instance_name,
                   std::vector<Connection> params, std::vector<Connection> ports);

  void AddComment(std::string text);  // `// text` between items
  void AddBlankLine();

  // Driver/reader checks (also run by Emit()).
  void Validate() const;
  std::string Emit() const;

  // Lookup for instances and tests.
  const Def* FindDef(std::string_view name) const;
  const std::vector<Def*>& ports() const { return ports_; }
  const std::vector<Def*>& params() const { return params_; }

 private:
  friend class VerilogFile;
  struct RegGroup;
  Def* Declare(std::string_view name, DefKind kind, Type type);
  void CheckType(const Type& t, std::string_view what) const;
  void AddItem(std::unique_ptr<ModuleItem> item);

  VerilogFile* file_;
  std::string name_;
  bool is_extern_;
  std::vector<std::string> header_comments_;
  std::vector<std::string> attributes_;
  std::map<std::string, Def*, std::less<>> defs_;
  std::vector<Def*> params_, ports_, locals_, decls_;
  std::vector<std::unique_ptr<Def>> def_store_;
  std::vector<ModuleItem*> items_;
  std::vector<RegGroup*> groups_;
};

// ---------------------------------------------------------------------------------
// File: owns every node, builds expressions, prints modules
// ---------------------------------------------------------------------------------

class VerilogFile {
 public:
  VerilogFile() = default;
  VerilogFile(const VerilogFile&) = delete;
  VerilogFile& operator=(const VerilogFile&) = delete;

  Module* AddModule(std::string_view name);
  // A module defined elsewhere (hand-written rtl/ leaf): declare its parameters and
  // ports on the returned Module so instances are checked; it is not printed.
  Module* DeclareExternModule(std::string_view name);
  Module* FindModule(std::string_view name) const;

  // Literals. Sized: `8'd5`, `8'sd5`, `-8'sd5`, `8'h1f`; unsized: `5`; string: "x".
  const Expr* Lit(int width, uint64_t value);                // unsigned decimal
  const Expr* HexLit(int width, uint64_t value);             // unsigned hex
  const Expr* SLit(int width, int64_t value);                // signed
  const Expr* Int(int64_t value);                            // unsized integer
  const Expr* Str(std::string_view value);                   // "value"
  const Expr* Zero(int width) { return Lit(width, 0); }

  // Unary: -a ~a !a &a |a ^a
  const Expr* Neg(const Expr* a);
  const Expr* Not(const Expr* a);
  const Expr* LogicalNot(const Expr* a);
  const Expr* ReduceAnd(const Expr* a);
  const Expr* ReduceOr(const Expr* a);
  const Expr* ReduceXor(const Expr* a);

  // Binary. Arithmetic/bitwise: equal widths, result that width. Comparisons:
  // equal widths, 1-bit result. Shifts: result has the width of a; b any width.
  const Expr* Add(const Expr* a, const Expr* b);
  const Expr* Sub(const Expr* a, const Expr* b);
  const Expr* Mul(const Expr* a, const Expr* b);
  const Expr* BitAnd(const Expr* a, const Expr* b);
  const Expr* BitOr(const Expr* a, const Expr* b);
  const Expr* BitXor(const Expr* a, const Expr* b);
  const Expr* LogicalAnd(const Expr* a, const Expr* b);
  const Expr* LogicalOr(const Expr* a, const Expr* b);
  const Expr* Eq(const Expr* a, const Expr* b);
  const Expr* Ne(const Expr* a, const Expr* b);
  const Expr* Lt(const Expr* a, const Expr* b);
  const Expr* Le(const Expr* a, const Expr* b);
  const Expr* Gt(const Expr* a, const Expr* b);
  const Expr* Ge(const Expr* a, const Expr* b);
  const Expr* Shl(const Expr* a, const Expr* b);   // <<
  const Expr* Shr(const Expr* a, const Expr* b);   // >>
  const Expr* Sshr(const Expr* a, const Expr* b);  // >>> (arithmetic if a is signed)

  // cond ? a : b (cond 1 bit, a and b equal widths)
  const Expr* Ternary(const Expr* cond, const Expr* a, const Expr* b);
  // {a, b, ...} (unsigned, width = sum)
  const Expr* Concat(std::vector<const Expr*> parts);
  // {n{a}}; n may be a parameter expression (then the width is parametric).
  const Expr* Replicate(int n, const Expr* a);
  const Expr* Replicate(const Expr* n, const Expr* a);
  // a[i]: bit select of a signal, or word i of a memory.
  const Expr* Index(const Expr* a, const Expr* i);
  const Expr* Index(const Expr* a, int i) { return Index(a, Int(i)); }
  // a[hi:lo] part select (a must be a reference).
  const Expr* Slice(const Expr* a, int hi, int lo);
  const Expr* Slice(const Expr* a, const Expr* hi, const Expr* lo);
  // a[base +: width]
  const Expr* PartSelect(const Expr* a, const Expr* base, int width);
  // $signed(a) / $unsigned(a)
  const Expr* Signed(const Expr* a);
  const Expr* Unsigned(const Expr* a);
  // Width adapters for references: {{k{a[w-1]}}, a} / {{k{1'b0}}, a}, signedness kept.
  const Expr* SignExtend(const Expr* a, int width);
  const Expr* ZeroExtend(const Expr* a, int width);

  // Constant expressions on parameters (no width checks): a - b, a + b, a * b.
  const Expr* ParamSub(const Expr* a, const Expr* b);
  const Expr* ParamAdd(const Expr* a, const Expr* b);
  const Expr* ParamMul(const Expr* a, const Expr* b);

  // The whole file: `default_nettype none, every non-extern module, then
  // `default_nettype wire. Deterministic; validates each module first.
  std::string Emit() const;
  // One module in a file of its own (same framing). Verilator -Wall wants each
  // module in a file named after it (DECLFILENAME), so multi-module designs that
  // must lint cleanly are written with EmitFiles(): {"<module>.v", text} in
  // declaration order.
  std::string EmitModuleFile(std::string_view module_name) const;
  std::vector<std::pair<std::string, std::string>> EmitFiles() const;

  // Arena allocation of any node.
  template <typename T, typename... Args>
  T* Make(Args&&... args) {
    auto node = std::make_unique<T>(std::forward<Args>(args)...);
    T* raw = node.get();
    nodes_.push_back(std::unique_ptr<void, void (*)(void*)>(
        node.release(), [](void* p) { delete static_cast<T*>(p); }));
    return raw;
  }

 private:
  const Expr* MakeBinary(std::string_view op, Prec prec, const Expr* a, const Expr* b,
                         int kind);
  std::vector<std::unique_ptr<void, void (*)(void*)>> nodes_;
  std::vector<std::unique_ptr<Module>> modules_;
};

// Verilog text of a width/type range, e.g. "signed [7:0] " or "" for 1 bit.
std::string EmitTypePrefix(const Type& t);

}  // namespace sdm::vast
