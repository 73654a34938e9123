// VAST printer and checks. See vast.h for the contract.
#include "rtl_gen/vast.h"

#include <algorithm>
#include <set>
#include <sstream>
#include <unordered_set>

namespace sdm::vast {

namespace {

[[noreturn]] void Fail(const std::string& msg) { throw Error("vast: " + msg); }

// Verilog-2005 and SystemVerilog-2017 reserved words (iverilog -g2012 and Verilator
// parse the latter, so `logic` or `int` would break the emitted file there).
const std::unordered_set<std::string_view>& Keywords() {
  static const std::unordered_set<std::string_view> kw = {
      "accept_on", "alias", "always", "always_comb", "always_ff", "always_latch", "and",
      "assert", "assign", "assume", "automatic", "before", "begin", "bind", "bins",
      "binsof", "bit", "break", "buf", "bufif0", "bufif1", "byte", "case", "casex",
      "casez", "cell", "chandle", "checker", "class", "clocking", "cmos", "config",
      "const", "constraint", "context", "continue", "cover", "covergroup", "coverpoint",
      "cross", "deassign", "default", "defparam", "design", "disable", "dist", "do",
      "edge", "else", "end", "endcase", "endchecker", "endclass", "endclocking",
      "endconfig", "endfunction", "endgenerate", "endgroup", "endinterface", "endmodule",
      "endpackage", "endprimitive", "endprogram", "endproperty", "endspecify",
      "endsequence", "endtable", "endtask", "enum", "event", "eventually", "expect",
      "export", "extends", "extern", "final", "first_match", "for", "force", "foreach",
      "forever", "fork", "forkjoin", "function", "generate", "genvar", "global",
      "highz0", "highz1", "if", "iff", "ifnone", "ignore_bins", "illegal_bins",
      "implements", "implies", "import", "incdir", "include", "initial", "inout",
      "input", "inside", "instance", "int", "integer", "interconnect", "interface",
      "intersect", "join", "join_any", "join_none", "large", "let", "liblist",
      "library", "local", "localparam", "logic", "longint", "macromodule", "matches",
      "medium", "modport", "module", "nand", "negedge", "nettype", "new", "nexttime",
      "nmos", "nor", "noshowcancelled", "not", "notif0", "notif1", "null", "or",
      "output", "package", "packed", "parameter", "pmos", "posedge", "primitive",
      "priority", "program", "property", "protected", "pull0", "pull1", "pulldown",
      "pullup", "pulsestyle_ondetect", "pulsestyle_onevent", "pure", "rand", "randc",
      "randcase", "randsequence", "rcmos", "real", "realtime", "ref", "reg",
      "reject_on", "release", "repeat", "restrict", "return", "rnmos", "rpmos",
      "rtran", "rtranif0", "rtranif1", "s_always", "s_eventually", "s_nexttime",
      "s_until", "s_until_with", "scalared", "sequence", "shortint", "shortreal",
      "showcancelled", "signed", "small", "soft", "solve", "specify", "specparam",
      "static", "string", "strong", "strong0", "strong1", "struct", "super", "supply0",
      "supply1", "sync_accept_on", "sync_reject_on", "table", "tagged", "task", "this",
      "throughout", "time", "timeprecision", "timeunit", "tran", "tranif0", "tranif1",
      "tri", "tri0", "tri1", "triand", "trior", "trireg", "type", "typedef", "union",
      "unique", "unique0", "unsigned", "until", "until_with", "untyped", "use", "uwire",
      "var", "vectored", "virtual", "void", "wait", "wait_order", "wand", "weak",
      "weak0", "weak1", "while", "wildcard", "wire", "with", "within", "wor", "xnor",
      "xor"};
  return kw;
}

std::string Ind(int n) { return std::string(static_cast<size_t>(2 * n), ' '); }

int Clog2(int64_t n) {
  int b = 0;
  while ((int64_t{1} << b) < n) ++b;
  return b;
}

// Three width categories: concrete (width set), unsized integer constant, parametric.
enum class WCat { kConcrete, kUnsized, kParam };

}  // namespace

// ---------------------------------------------------------------------------------
// Expression nodes (private to this file)
// ---------------------------------------------------------------------------------

class ExprBase : public Expr {
 public:
  void Set(std::optional<int> w, bool s, bool unsized) {
    width_ = w;
    signed_ = s;
    unsized_ = unsized;
  }
  bool unsized_ = false;
};

namespace {

WCat Cat(const Expr* e);

class LiteralExpr : public ExprBase {
 public:
  explicit LiteralExpr(std::string text, bool negative)
      : text_(std::move(text)), negative_(negative) {}
  std::string Emit() const override { return text_; }
  Prec precedence() const override { return negative_ ? Prec::kUnary : Prec::kPrimary; }

 private:
  std::string text_;
  bool negative_;
};

class UnaryExpr : public ExprBase {
 public:
  UnaryExpr(std::string op, const Expr* a) : op_(std::move(op)), a_(a) {}
  std::string Emit() const override {
    std::string s = a_->Emit();
    if (a_->precedence() != Prec::kPrimary) s = "(" + s + ")";
    return op_ + s;
  }
  Prec precedence() const override { return Prec::kUnary; }
  void ForEachChild(const std::function<void(const Expr*)>& fn) const override {
    fn(a_);
  }

 private:
  std::string op_;
  const Expr* a_;
};

class BinaryExpr : public ExprBase {
 public:
  BinaryExpr(std::string op, Prec prec, const Expr* a, const Expr* b)
      : op_(std::move(op)), prec_(prec), a_(a), b_(b) {}
  std::string Emit() const override {
    return Wrap(a_, true) + " " + op_ + " " + Wrap(b_, false);
  }
  Prec precedence() const override { return prec_; }
  void ForEachChild(const std::function<void(const Expr*)>& fn) const override {
    fn(a_);
    fn(b_);
  }
  const std::string& op() const { return op_; }

 private:
  // Parenthesize for correctness (lower precedence; equal precedence on the right)
  // and for readability (any other binary operator under a bitwise/logical one, a
  // leading minus on the right).
  std::string Wrap(const Expr* c, bool left) const {
    std::string s = c->Emit();
    const Prec cp = c->precedence();
    bool paren = false;
    if (cp < prec_) paren = true;
    if (cp == prec_ && !left) paren = true;
    const auto* cb = dynamic_cast<const BinaryExpr*>(c);
    if (cb && prec_ <= Prec::kBitAnd && cb->op() != op_) paren = true;
    if (!left && cp == Prec::kUnary && !s.empty() && s[0] == '-') paren = true;
    return paren ? "(" + s + ")" : s;
  }
  std::string op_;
  Prec prec_;
  const Expr* a_;
  const Expr* b_;
};

class TernaryExpr : public ExprBase {
 public:
  TernaryExpr(const Expr* c, const Expr* a, const Expr* b) : c_(c), a_(a), b_(b) {}
  std::string Emit() const override {
    auto wrap = [](const Expr* e) {
      return e->precedence() == Prec::kTernary ? "(" + e->Emit() + ")" : e->Emit();
    };
    return wrap(c_) + " ? " + wrap(a_) + " : " + b_->Emit();
  }
  Prec precedence() const override { return Prec::kTernary; }
  void ForEachChild(const std::function<void(const Expr*)>& fn) const override {
    fn(c_);
    fn(a_);
    fn(b_);
  }

 private:
  const Expr* c_;
  const Expr* a_;
  const Expr* b_;
};

class ConcatExpr : public ExprBase {
 public:
  explicit ConcatExpr(std::vector<const Expr*> parts) : parts_(std::move(parts)) {}
  std::string Emit() const override {
    std::string s = "{";
    for (size_t i = 0; i < parts_.size(); ++i) {
      if (i) s += ", ";
      s += parts_[i]->Emit();
    }
    return s + "}";
  }
  void ForEachChild(const std::function<void(const Expr*)>& fn) const override {
    for (const Expr* p : parts_) fn(p);
  }
  const std::vector<const Expr*>& parts() const { return parts_; }

 private:
  std::vector<const Expr*> parts_;
};

class ReplicateExpr : public ExprBase {
 public:
  ReplicateExpr(const Expr* n, const Expr* a) : n_(n), a_(a) {}
  std::string Emit() const override {
    std::string n = n_->Emit();
    if (n_->precedence() != Prec::kPrimary) n = "(" + n + ")";
    return "{" + n + "{" + a_->Emit() + "}}";
  }
  void ForEachChild(const std::function<void(const Expr*)>& fn) const override {
    fn(n_);
    fn(a_);
  }

 private:
  const Expr* n_;
  const Expr* a_;
};

// a[i], a[hi:lo], a[base +: w]. `base` is the selected expression (a reference or a
// memory word); the other operands are read, never assigned.
class SelectExpr : public ExprBase {
 public:
  SelectExpr(const Expr* base, std::string sep, const Expr* x, const Expr* y)
      : base_(base), sep_(std::move(sep)), x_(x), y_(y) {}
  std::string Emit() const override {
    std::string s = base_->Emit() + "[" + x_->Emit();
    if (y_) s += sep_ + y_->Emit();
    return s + "]";
  }
  void ForEachChild(const std::function<void(const Expr*)>& fn) const override {
    fn(base_);
    fn(x_);
    if (y_) fn(y_);
  }
  const Expr* base() const { return base_; }
  void ForEachIndex(const std::function<void(const Expr*)>& fn) const {
    fn(x_);
    if (y_) fn(y_);
  }

 private:
  const Expr* base_;
  std::string sep_;
  const Expr* x_;
  const Expr* y_;
};

class CallExpr : public ExprBase {
 public:
  CallExpr(std::string fn, const Expr* a) : fn_(std::move(fn)), a_(a) {}
  std::string Emit() const override { return fn_ + "(" + a_->Emit() + ")"; }
  void ForEachChild(const std::function<void(const Expr*)>& fn) const override {
    fn(a_);
  }

 private:
  std::string fn_;
  const Expr* a_;
};

bool IsUnsized(const Expr* e) {
  const auto* b = dynamic_cast<const ExprBase*>(e);
  if (b) return b->unsized_;
  const auto* r = dynamic_cast<const LogicRef*>(e);
  return r && (r->def()->kind == DefKind::kParameter ||
               r->def()->kind == DefKind::kLocalParam) &&
         !r->def()->param_typed;
}

WCat Cat(const Expr* e) {
  if (e->width()) return WCat::kConcrete;
  if (IsUnsized(e)) return WCat::kUnsized;
  return WCat::kParam;
}

std::string Describe(const Expr* e) {
  std::string s = "`" + e->Emit() + "`";
  if (e->width()) s += " (" + std::to_string(*e->width()) + " bits)";
  else if (IsUnsized(e)) s += " (unsized)";
  return s;
}

// Operands of ops whose result width is context-determined must agree, else
// Verilator -Wall reports WIDTH.
void CheckSameWidth(std::string_view what, const Expr* a, const Expr* b) {
  const WCat ca = Cat(a), cb = Cat(b);
  if (ca == WCat::kConcrete && cb == WCat::kConcrete && *a->width() != *b->width())
    Fail(std::string(what) + ": width mismatch " + Describe(a) + " vs " + Describe(b));
  if ((ca == WCat::kConcrete && cb == WCat::kUnsized) ||
      (ca == WCat::kUnsized && cb == WCat::kConcrete))
    Fail(std::string(what) + ": sized vs unsized operand " + Describe(a) + " vs " +
         Describe(b) + "; use a sized literal");
}

void CheckSameSign(std::string_view what, const Expr* a, const Expr* b) {
  if (IsUnsized(a) || IsUnsized(b)) return;
  if (a->is_signed() != b->is_signed())
    Fail(std::string(what) + ": signed/unsigned mix " + Describe(a) + " vs " +
         Describe(b) + "; use Signed()/Unsigned()");
}

void CheckOneBit(std::string_view what, const Expr* a) {
  if (a->width() && *a->width() != 1)
    Fail(std::string(what) + ": expected 1 bit, got " + Describe(a));
  if (IsUnsized(a)) Fail(std::string(what) + ": expected 1 bit, got " + Describe(a));
}

// The declared name an lvalue writes, with the selects' index operands.
void LvalueRoots(const Expr* e, std::vector<Def*>& roots) {
  if (const auto* r = dynamic_cast<const LogicRef*>(e)) {
    roots.push_back(r->def());
  } else if (const auto* s = dynamic_cast<const SelectExpr*>(e)) {
    LvalueRoots(s->base(), roots);
  } else if (const auto* c = dynamic_cast<const ConcatExpr*>(e)) {
    for (const Expr* p : c->parts()) LvalueRoots(p, roots);
  } else {
    Fail("not assignable: `" + e->Emit() + "`");
  }
}

// Reads of an expression used as an lvalue: only the select indices.
void LvalueReads(const Expr* e, const std::function<void(const Expr*)>& read) {
  if (const auto* s = dynamic_cast<const SelectExpr*>(e)) {
    LvalueReads(s->base(), read);
    s->ForEachIndex(read);
  } else if (const auto* c = dynamic_cast<const ConcatExpr*>(e)) {
    for (const Expr* p : c->parts()) LvalueReads(p, read);
  }
}

void CheckAssignWidths(std::string_view what, const Expr* lhs, const Expr* rhs) {
  CheckSameWidth(what, lhs, rhs);
}

void CheckProcedural(const Expr* lhs) {
  std::vector<Def*> roots;
  LvalueRoots(lhs, roots);
  for (Def* d : roots)
    if (!d->procedural())
      Fail("procedural assignment to `" + d->name + "`, which is not a reg");
}

void CheckContinuous(const Expr* lhs) {
  std::vector<Def*> roots;
  LvalueRoots(lhs, roots);
  for (Def* d : roots)
    if (!(d->kind == DefKind::kWire || (d->kind == DefKind::kOutput && !d->output_is_reg)))
      Fail("continuous assignment to `" + d->name + "`, which is not a wire");
}

std::string LiteralText(int width, uint64_t value, bool hex) {
  std::ostringstream os;
  os << width << (hex ? "'h" : "'d") << std::hex;
  if (hex) os << value;
  else os << std::dec << value;
  return os.str();
}

}  // namespace

// ---------------------------------------------------------------------------------
// Names and types
// ---------------------------------------------------------------------------------

bool IsLegalIdentifier(std::string_view s) {
  if (s.empty()) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!(alpha(s[0]) || s[0] == '_')) return false;
  for (char c : s)
    if (!(alpha(c) || digit(c) || c == '_')) return false;
  return Keywords().count(s) == 0;
}

void internal::CheckNamePart(std::string_view part) {
  if (part.empty()) Fail("empty part in generated name");
}

void CheckIdentifier(std::string_view s, std::string_view what) {
  if (IsLegalIdentifier(s)) return;
  if (!s.empty() && Keywords().count(s))
    Fail(std::string(what) + " `" + std::string(s) + "` is a Verilog keyword");
  Fail(std::string(what) + " `" + std::string(s) + "` is not a legal identifier");
}

Type Type::Bits(int w) {
  if (w < 1) Fail("width must be >= 1, got " + std::to_string(w));
  return Type{w, nullptr, false};
}
Type Type::SBits(int w) {
  Type t = Bits(w);
  t.is_signed = true;
  return t;
}
Type Type::Param(const Expr* w, bool is_signed) {
  if (!w) Fail("null width expression");
  return Type{0, w, is_signed};
}

std::string EmitTypePrefix(const Type& t) {
  std::string s = t.is_signed ? "signed " : "";
  if (t.width_expr) {
    std::string w = t.width_expr->Emit();
    if (t.width_expr->precedence() < Prec::kAdditive) w = "(" + w + ")";
    s += "[" + w + "-1:0] ";
  } else if (t.width > 1 || t.is_signed) {
    s += "[" + std::to_string(t.width - 1) + ":0] ";
  }
  return s;
}

LogicRef::LogicRef(Def* def) : def_(def) {
  if (def->kind == DefKind::kParameter || def->kind == DefKind::kLocalParam) {
    if (def->param_typed) width_ = def->type.bits();
    signed_ = def->param_typed ? def->type.is_signed : true;
  } else {
    width_ = def->type.bits();
    signed_ = def->type.is_signed;
  }
}

// ---------------------------------------------------------------------------------
// Statements
// ---------------------------------------------------------------------------------

void Block::Nonblocking(const Expr* lhs, const Expr* rhs) {
  if (kind_ != BlockKind::kClocked)
    Fail("nonblocking assignment to `" + lhs->Emit() + "` in a combinational block");
  CheckProcedural(lhs);
  CheckAssignWidths("assignment to `" + lhs->Emit() + "`", lhs, rhs);
  stmts_.push_back(file_->Make<Assignment>(lhs, rhs, false));
}

void Block::Blocking(const Expr* lhs, const Expr* rhs) {
  if (kind_ != BlockKind::kComb)
    Fail("blocking assignment to `" + lhs->Emit() + "` in a clocked block");
  CheckProcedural(lhs);
  CheckAssignWidths("assignment to `" + lhs->Emit() + "`", lhs, rhs);
  stmts_.push_back(file_->Make<Assignment>(lhs, rhs, true));
}

If* Block::AddIf(const Expr* cond) {
  If* s = file_->Make<If>(file_, kind_, cond);
  stmts_.push_back(s);
  return s;
}

Case* Block::AddCase(const Expr* sel) {
  Case* s = file_->Make<Case>(file_, kind_, sel);
  stmts_.push_back(s);
  return s;
}

void Block::AddComment(std::string text) {
  stmts_.push_back(file_->Make<CommentStatement>(std::move(text)));
}

void Block::Emit(std::string& out, int indent) const {
  for (const Statement* s : stmts_) s->Emit(out, indent);
}

void Assignment::Emit(std::string& out, int indent) const {
  out += Ind(indent) + lhs->Emit() + (blocking ? " = " : " <= ") + rhs->Emit() + ";\n";
}

void CommentStatement::Emit(std::string& out, int indent) const {
  std::istringstream is(text);
  std::string line;
  while (std::getline(is, line)) out += Ind(indent) + "// " + line + "\n";
}

If::If(VerilogFile* file, BlockKind kind, const Expr* cond) : file_(file), kind_(kind) {
  CheckOneBit("if condition", cond);
  arms_.emplace_back(cond, file->Make<Block>(file, kind));
}

Block* If::ElseIf(const Expr* cond) {
  if (else_) Fail("else-if after else");
  CheckOneBit("else-if condition", cond);
  arms_.emplace_back(cond, file_->Make<Block>(file_, kind_));
  return arms_.back().second;
}

Block* If::Else() {
  if (!else_) else_ = file_->Make<Block>(file_, kind_);
  return else_;
}

void If::Emit(std::string& out, int indent) const {
  for (size_t i = 0; i < arms_.size(); ++i) {
    out += (i == 0 ? Ind(indent) + "if (" : std::string(" else if (")) +
           arms_[i].first->Emit() + ") begin\n";
    arms_[i].second->Emit(out, indent + 1);
    out += Ind(indent) + "end";
  }
  if (else_) {
    out += " else begin\n";
    else_->Emit(out, indent + 1);
    out += Ind(indent) + "end";
  }
  out += "\n";
}

Case::Case(VerilogFile* file, BlockKind kind, const Expr* sel)
    : file_(file), kind_(kind), sel_(sel) {
  if (IsUnsized(sel)) Fail("case selector must be sized: " + Describe(sel));
}

Block* Case::AddItem(std::vector<const Expr*> labels) {
  if (labels.empty()) Fail("case item without labels");
  for (const Expr* l : labels) CheckSameWidth("case label", sel_, l);
  items_.emplace_back(std::move(labels), file_->Make<Block>(file_, kind_));
  return items_.back().second;
}

Block* Case::Default() {
  if (!default_) default_ = file_->Make<Block>(file_, kind_);
  return default_;
}

namespace {
void EmitCaseArm(std::string& out, int indent, const std::string& label,
                 const Block* b) {
  const auto& st = b ? b->statements() : std::vector<Statement*>{};
  if (st.empty()) {
    out += Ind(indent) + label + ": ;\n";
  } else if (st.size() == 1 && dynamic_cast<const Assignment*>(st[0])) {
    std::string one;
    st[0]->Emit(one, 0);
    out += Ind(indent) + label + ": " + one;
  } else {
    out += Ind(indent) + label + ": begin\n";
    b->Emit(out, indent + 1);
    out += Ind(indent) + "end\n";
  }
}
}  // namespace

void Case::Emit(std::string& out, int indent) const {
  out += Ind(indent) + "case (" + sel_->Emit() + ")\n";
  for (const auto& [labels, block] : items_) {
    std::string l;
    for (size_t i = 0; i < labels.size(); ++i) l += (i ? ", " : "") + labels[i]->Emit();
    EmitCaseArm(out, indent + 1, l, block);
  }
  EmitCaseArm(out, indent + 1, "default", default_);
  out += Ind(indent) + "endcase\n";
}

// ---------------------------------------------------------------------------------
// Module items
// ---------------------------------------------------------------------------------

// What an item reads and drives, for Module::Validate.
struct Uses {
  std::function<void(const Expr*)> read;              // every LogicRef inside
  std::function<void(const Expr*, const void*)> drive;  // lvalue, driver identity
};

namespace {
void VisitReads(const Expr* e, const std::function<void(const Def*)>& fn) {
  if (const auto* r = dynamic_cast<const LogicRef*>(e)) fn(r->def());
  e->ForEachChild([&](const Expr* c) { VisitReads(c, fn); });
}
}  // namespace

class ItemBase : public ModuleItem {
 public:
  virtual void Collect(Uses& u) const = 0;
  virtual bool multiline() const { return true; }
};

namespace {

class CommentItem : public ItemBase {
 public:
  explicit CommentItem(std::string text) : text_(std::move(text)) {}
  void Emit(std::string& out) const override {
    CommentStatement(text_).Emit(out, 1);
  }
  void Collect(Uses&) const override {}
  bool multiline() const override { return false; }

 private:
  std::string text_;
};

class BlankItem : public ItemBase {
 public:
  void Emit(std::string& out) const override { out += "\n"; }
  void Collect(Uses&) const override {}
  bool multiline() const override { return false; }
};

class AssignItem : public ItemBase {
 public:
  AssignItem(const Expr* lhs, const Expr* rhs) : lhs_(lhs), rhs_(rhs) {}
  void Emit(std::string& out) const override {
    out += "  assign " + lhs_->Emit() + " = " + rhs_->Emit() + ";\n";
  }
  void Collect(Uses& u) const override {
    u.drive(lhs_, this);
    LvalueReads(lhs_, u.read);
    u.read(rhs_);
  }
  bool multiline() const override { return false; }

 private:
  const Expr* lhs_;
  const Expr* rhs_;
};

void CollectBlock(const Block* b, Uses& u, const void* id) {
  for (const Statement* s : b->statements()) {
    if (const auto* a = dynamic_cast<const Assignment*>(s)) {
      u.drive(a->lhs, id);
      LvalueReads(a->lhs, u.read);
      u.read(a->rhs);
    } else if (const auto* i = dynamic_cast<const If*>(s)) {
      for (const auto& [c, blk] : i->arms()) {
        u.read(c);
        CollectBlock(blk, u, id);
      }
      if (i->else_block()) CollectBlock(i->else_block(), u, id);
    } else if (const auto* c = dynamic_cast<const Case*>(s)) {
      u.read(c->selector());
      for (const auto& [labels, blk] : c->items()) {
        for (const Expr* l : labels) u.read(l);
        CollectBlock(blk, u, id);
      }
      if (c->default_block()) CollectBlock(c->default_block(), u, id);
    }
  }
}

class AlwaysItem : public ItemBase {
 public:
  AlwaysItem(VerilogFile* f, LogicRef* clk)
      : clk_(clk), body_(f, clk ? BlockKind::kClocked : BlockKind::kComb) {}
  void Emit(std::string& out) const override {
    out += clk_ ? "  always @(posedge " + clk_->Emit() + ") begin\n"
                : std::string("  always @* begin\n");
    body_.Emit(out, 2);
    out += "  end\n";
  }
  void Collect(Uses& u) const override {
    if (clk_) u.read(clk_);
    CollectBlock(&body_, u, this);
  }
  Block* body() { return &body_; }

 private:
  LogicRef* clk_;
  Block body_;
};

class MemInitItem : public ItemBase {
 public:
  explicit MemInitItem(LogicRef* mem) : mem_(mem) {}
  void Emit(std::string& out) const override {
    out += "  initial $readmemh(\"" + mem_->def()->init_file + "\", " + mem_->Emit() +
           ");\n";
  }
  void Collect(Uses& u) const override { u.drive(mem_, this); }
  bool multiline() const override { return false; }

 private:
  LogicRef* mem_;
};

class InstanceItem : public ItemBase {
 public:
  InstanceItem(const Module* m, std::string name, std::vector<Connection> params,
               std::vector<Connection> ports)
      : m_(m), name_(std::move(name)), params_(std::move(params)),
        ports_(std::move(ports)) {}
  void Emit(std::string& out) const override {
    out += "  " + m_->name();
    if (!params_.empty()) {
      out += " #(\n";
      EmitList(out, params_);
      out += "  )";
    }
    out += " " + name_ + " (\n";
    EmitList(out, ports_);
    out += "  );\n";
  }
  void Collect(Uses& u) const override {
    for (const auto& p : params_) u.read(p.expr);
    for (const auto& c : ports_) {
      const Def* port = m_->FindDef(c.name);
      if (port->kind == DefKind::kOutput) {
        u.drive(c.expr, this);
        LvalueReads(c.expr, u.read);
      } else {
        u.read(c.expr);
      }
    }
  }

 private:
  static void EmitList(std::string& out, const std::vector<Connection>& cs) {
    size_t w = 0;
    for (const auto& c : cs) w = std::max(w, c.name.size());
    for (size_t i = 0; i < cs.size(); ++i) {
      out += "    ." + cs[i].name + std::string(w - cs[i].name.size(), ' ') + "(" +
             cs[i].expr->Emit() + ")" + (i + 1 < cs.size() ? ",\n" : "\n");
    }
  }
  const Module* m_;
  std::string name_;
  std::vector<Connection> params_, ports_;
};

}  // namespace

// One always block: the registers of one (clk, rst_n) pair, or the no-reset ones.
struct Module::RegGroup : public ItemBase {
  struct Entry {
    Register reg;
    const Expr* reset;
    const Expr* enable;
  };
  LogicRef* clk;
  LogicRef* rst_n;  // nullptr: no reset
  std::vector<Entry> regs;

  void EmitLoads(std::string& out, int indent) const {
    for (const auto& e : regs) {
      std::string load = e.reg.q->Emit() + " <= " + e.reg.d->Emit() + ";\n";
      if (e.enable) out += Ind(indent) + "if (" + e.enable->Emit() + ") " + load;
      else out += Ind(indent) + load;
    }
  }
  void Emit(std::string& out) const override {
    out += "  always @(posedge " + clk->Emit() + ") begin\n";
    if (rst_n) {
      out += "    if (!" + rst_n->Emit() + ") begin\n";
      for (const auto& e : regs)
        out += "      " + e.reg.q->Emit() + " <= " + e.reset->Emit() + ";\n";
      out += "    end else begin\n";
      EmitLoads(out, 3);
      out += "    end\n";
    } else {
      EmitLoads(out, 2);
    }
    out += "  end\n";
  }
  void Collect(Uses& u) const override {
    u.read(clk);
    if (rst_n) u.read(rst_n);
    for (const auto& e : regs) {
      u.drive(e.reg.q, this);
      u.read(e.reg.d);
      if (e.reset) u.read(e.reset);
      if (e.enable) u.read(e.enable);
    }
  }
};

// ---------------------------------------------------------------------------------
// Module
// ---------------------------------------------------------------------------------

Module::Module(VerilogFile* file, std::string name, bool is_extern)
    : file_(file), name_(std::move(name)), is_extern_(is_extern) {}

void Module::AddHeaderComment(std::string text) {
  header_comments_.push_back(std::move(text));
}

void Module::AddAttribute(std::string text) { attributes_.push_back(std::move(text)); }

void Module::CheckType(const Type& t, std::string_view what) const {
  if (t.width_expr) {
    VisitReads(t.width_expr, [&](const Def* d) {
      if (d->kind != DefKind::kParameter && d->kind != DefKind::kLocalParam)
        Fail(std::string(what) + ": width uses `" + d->name + "`, not a parameter");
    });
  } else if (t.width < 1) {
    Fail(std::string(what) + ": width must be >= 1");
  }
}

Def* Module::Declare(std::string_view name, DefKind kind, Type type) {
  CheckIdentifier(name, "name in module " + name_);
  if (defs_.count(name))
    Fail("duplicate name `" + std::string(name) + "` in module " + name_);
  CheckType(type, std::string(name));
  auto d = std::make_unique<Def>();
  d->name = std::string(name);
  d->kind = kind;
  d->type = type;
  Def* raw = d.get();
  def_store_.push_back(std::move(d));
  defs_.emplace(raw->name, raw);
  return raw;
}

LogicRef* Module::AddParameter(std::string_view name, const Expr* default_value,
                               std::optional<Type> type) {
  if (!ports_.empty() || !locals_.empty() || !decls_.empty())
    Fail("parameter `" + std::string(name) + "` declared after ports or signals");
  Def* d = Declare(name, DefKind::kParameter, type.value_or(Type::Bits(1)));
  d->value = default_value;
  d->param_typed = type.has_value();
  if (type) CheckAssignWidths("parameter " + d->name, file_->Make<LogicRef>(d),
                              default_value);
  params_.push_back(d);
  return file_->Make<LogicRef>(d);
}

LogicRef* Module::AddLocalParam(std::string_view name, const Expr* value,
                                std::optional<Type> type) {
  Def* d = Declare(name, DefKind::kLocalParam, type.value_or(Type::Bits(1)));
  d->value = value;
  d->param_typed = type.has_value();
  if (type) CheckAssignWidths("localparam " + d->name, file_->Make<LogicRef>(d), value);
  locals_.push_back(d);
  return file_->Make<LogicRef>(d);
}

LogicRef* Module::AddInput(std::string_view name, Type type) {
  Def* d = Declare(name, DefKind::kInput, type);
  ports_.push_back(d);
  return file_->Make<LogicRef>(d);
}

LogicRef* Module::AddOutput(std::string_view name, Type type, bool is_reg) {
  Def* d = Declare(name, DefKind::kOutput, type);
  d->output_is_reg = is_reg;
  ports_.push_back(d);
  return file_->Make<LogicRef>(d);
}

LogicRef* Module::AddWire(std::string_view name, Type type, std::string comment) {
  Def* d = Declare(name, DefKind::kWire, type);
  d->comment = std::move(comment);
  decls_.push_back(d);
  return file_->Make<LogicRef>(d);
}

LogicRef* Module::AddReg(std::string_view name, Type type, std::string comment) {
  Def* d = Declare(name, DefKind::kReg, type);
  d->comment = std::move(comment);
  decls_.push_back(d);
  return file_->Make<LogicRef>(d);
}

LogicRef* Module::AddMemory(std::string_view name, Type word, int depth,
                            std::string init_file) {
  if (depth < 1) Fail("memory `" + std::string(name) + "` needs depth >= 1");
  if (init_file.find('"') != std::string::npos || init_file.find('\\') != std::string::npos)
    Fail("memory init file name `" + init_file + "` contains a quote or backslash");
  Def* d = Declare(name, DefKind::kMemory, word);
  d->depth = depth;
  d->init_file = std::move(init_file);
  decls_.push_back(d);
  LogicRef* r = file_->Make<LogicRef>(d);
  if (!d->init_file.empty()) AddItem(std::make_unique<MemInitItem>(r));
  return r;
}

void Module::AddItem(std::unique_ptr<ModuleItem> item) {
  if (is_extern_) Fail("extern module " + name_ + " cannot have items");
  items_.push_back(file_->Make<std::unique_ptr<ModuleItem>>(std::move(item))->get());
}

void Module::AddAssign(const Expr* lhs, const Expr* rhs) {
  CheckContinuous(lhs);
  CheckAssignWidths("assign to `" + lhs->Emit() + "`", lhs, rhs);
  AddItem(std::make_unique<AssignItem>(lhs, rhs));
}

LogicRef* Module::AddWireAssign(std::string_view name, const Expr* rhs,
                                std::string comment) {
  if (!rhs->width())
    Fail("AddWireAssign `" + std::string(name) + "`: rhs width is not concrete");
  Type t = rhs->is_signed() ? Type::SBits(*rhs->width()) : Type::Bits(*rhs->width());
  LogicRef* w = AddWire(name, t, std::move(comment));
  AddAssign(w, rhs);
  return w;
}

Register Module::AddRegister(std::string_view name, Type type, const Expr* reset_value,
                             LogicRef* clk, LogicRef* rst_n, RegisterOptions opts) {
  if (!clk) Fail("register `" + std::string(name) + "` needs a clock");
  CheckOneBit("clock of " + std::string(name), clk);
  if (rst_n && !reset_value)
    Fail("register `" + std::string(name) + "` has a reset but no reset value");
  if (rst_n) CheckOneBit("reset of " + std::string(name), rst_n);
  if (opts.enable) CheckOneBit("enable of " + std::string(name), opts.enable);
  const std::string base(name);
  LogicRef* q = AddReg(base + "_q", type, opts.comment);
  LogicRef* d = opts.d_is_reg ? AddReg(base + "_d", type) : AddWire(base + "_d", type);
  if (reset_value) CheckAssignWidths("reset value of " + q->name(), q, reset_value);
  if (!reset_value) rst_n = nullptr;

  RegGroup* g = nullptr;
  for (RegGroup* cand : groups_)
    if (cand->clk->def() == clk->def() &&
        (cand->rst_n ? cand->rst_n->def() : nullptr) == (rst_n ? rst_n->def() : nullptr))
      g = cand;
  if (!g) {
    auto owned = std::make_unique<RegGroup>();
    owned->clk = clk;
    owned->rst_n = rst_n;
    g = owned.get();
    groups_.push_back(g);
    AddItem(std::move(owned));
  }
  g->regs.push_back({Register{d, q}, reset_value, opts.enable});
  return Register{d, q};
}

Block* Module::AddAlwaysFf(LogicRef* clk) {
  CheckOneBit("clock", clk);
  auto item = std::make_unique<AlwaysItem>(file_, clk);
  Block* b = item->body();
  AddItem(std::move(item));
  return b;
}

Block* Module::AddAlwaysComb() {
  auto item = std::make_unique<AlwaysItem>(file_, nullptr);
  Block* b = item->body();
  AddItem(std::move(item));
  return b;
}

void Module::AddInstance(const Module* module, std::string_view instance_name,
                         std::vector<Connection> params, std::vector<Connection> ports) {
  const std::string where = "instance " + std::string(instance_name) + " of " +
                            module->name();
  // Reserve the instance name (never printed as a declaration).
  Declare(instance_name, DefKind::kWire, Type::Bits(1));
  for (const auto& p : params) {
    const Def* d = module->FindDef(p.name);
    if (!d || d->kind != DefKind::kParameter)
      Fail(where + ": no parameter `" + p.name + "`");
  }
  std::set<std::string> seen;
  for (const auto& c : ports) {
    const Def* d = module->FindDef(c.name);
    if (!d || (d->kind != DefKind::kInput && d->kind != DefKind::kOutput))
      Fail(where + ": no port `" + c.name + "`");
    if (!seen.insert(c.name).second) Fail(where + ": port `" + c.name + "` connected twice");
    Type t = d->type;
    if (t.bits()) {
      if (Cat(c.expr) == WCat::kUnsized || (c.expr->width() && *c.expr->width() != *t.bits()))
        Fail(where + ": port " + c.name + " is " + std::to_string(*t.bits()) +
             " bits, connected to " + Describe(c.expr));
    }
    if (d->kind == DefKind::kOutput) CheckContinuous(c.expr);
  }
  for (const Def* p : module->ports())
    if (!seen.count(p->name)) Fail(where + ": port `" + p->name + "` not connected");
  // Keep the port order of the module's declaration.
  std::vector<Connection> ordered;
  for (const Def* p : module->ports())
    for (const auto& c : ports)
      if (c.name == p->name) ordered.push_back(c);
  AddItem(std::make_unique<InstanceItem>(module, std::string(instance_name),
                                         std::move(params), std::move(ordered)));
}

void Module::AddComment(std::string text) {
  AddItem(std::make_unique<CommentItem>(std::move(text)));
}

void Module::AddBlankLine() { AddItem(std::make_unique<BlankItem>()); }

const Def* Module::FindDef(std::string_view name) const {
  auto it = defs_.find(name);
  return it == defs_.end() ? nullptr : it->second;
}

void Module::Validate() const {
  if (is_extern_) return;
  std::map<const Def*, int> reads;
  std::map<const Def*, std::set<const void*>> drivers;
  auto read = [&](const Expr* e) { VisitReads(e, [&](const Def* d) { ++reads[d]; }); };
  Uses u;
  u.read = read;
  u.drive = [&](const Expr* lhs, const void* id) {
    std::vector<Def*> roots;
    LvalueRoots(lhs, roots);
    for (Def* d : roots) drivers[d].insert(id);
  };
  for (const Def* d : params_) {
    if (d->value) read(d->value);
    if (d->param_typed && d->type.width_expr) read(d->type.width_expr);
  }
  for (const Def* d : locals_) {
    if (d->value) read(d->value);
    if (d->param_typed && d->type.width_expr) read(d->type.width_expr);
  }
  for (const Def* d : ports_)
    if (d->type.width_expr) read(d->type.width_expr);
  for (const Def* d : decls_)
    if (d->type.width_expr) read(d->type.width_expr);
  for (const ModuleItem* it : items_) static_cast<const ItemBase*>(it)->Collect(u);

  auto where = [&](const Def* d) { return "module " + name_ + ": `" + d->name + "`"; };
  auto check = [&](const Def* d) {
    const bool driven = !drivers[d].empty();
    const bool is_read = reads[d] > 0;
    switch (d->kind) {
      case DefKind::kInput:
        if (!is_read) Fail(where(d) + " (input) is never read");
        break;
      case DefKind::kOutput:
        if (!driven) Fail(where(d) + " (output) is never driven");
        break;
      case DefKind::kParameter:
      case DefKind::kLocalParam:
        if (!is_read) Fail(where(d) + " (parameter) is never used");
        break;
      case DefKind::kWire:
      case DefKind::kReg:
      case DefKind::kMemory:
        if (!driven) Fail(where(d) + " is never driven");
        if (!is_read) Fail(where(d) + " is never read");
        break;
    }
    if (d->procedural() && drivers[d].size() > 1)
      Fail(where(d) + " is driven from " + std::to_string(drivers[d].size()) +
           " blocks");
  };
  for (const Def* d : params_) check(d);
  for (const Def* d : locals_) check(d);
  for (const Def* d : ports_) check(d);
  for (const Def* d : decls_) check(d);
}

namespace {
std::string ParamText(const char* kw, const Def* d) {
  std::string s = std::string(kw) + " ";
  if (d->param_typed) s += EmitTypePrefix(d->type);
  else if (d->value->Emit().rfind('"', 0) != 0) s += "integer ";
  return s + d->name + " = " + d->value->Emit();
}
std::string Trailing(const Def* d) {
  return d->comment.empty() ? "" : "  // " + d->comment;
}
}  // namespace

std::string Module::Emit() const {
  Validate();
  std::string out;
  for (const auto& c : header_comments_) CommentStatement(c).Emit(out, 0);
  for (const auto& a : attributes_) out += "(* " + a + " *)\n";
  out += "module " + name_;
  if (!params_.empty()) {
    out += " #(\n";
    for (size_t i = 0; i < params_.size(); ++i)
      out += "  " + ParamText("parameter", params_[i]) +
             (i + 1 < params_.size() ? ",\n" : "\n");
    out += ")";
  }
  if (ports_.empty()) {
    out += ";\n";
  } else {
    // Columns: direction, net kind, range, name.
    size_t tw = 0;
    for (const Def* p : ports_) tw = std::max(tw, EmitTypePrefix(p->type).size());
    out += " (\n";
    for (size_t i = 0; i < ports_.size(); ++i) {
      const Def* p = ports_[i];
      std::string t = EmitTypePrefix(p->type);
      out += std::string("  ") + (p->kind == DefKind::kInput ? "input  " : "output ") +
             (p->output_is_reg ? "reg  " : "wire ") + t + std::string(tw - t.size(), ' ') +
             p->name + (i + 1 < ports_.size() ? ",\n" : "\n");
    }
    out += ");\n";
  }
  for (const Def* d : locals_) out += "  " + ParamText("localparam", d) + ";\n";
  if (!locals_.empty() && !decls_.empty()) out += "\n";
  for (const Def* d : decls_) {
    const std::string kw = d->kind == DefKind::kWire ? "wire " : "reg ";
    std::string s = "  " + kw + EmitTypePrefix(d->type) + d->name;
    if (d->kind == DefKind::kMemory) s += " [0:" + std::to_string(d->depth - 1) + "]";
    out += s + ";" + Trailing(d) + "\n";
  }
  bool prev_multiline = true;  // a blank line after the declarations
  bool prev_comment = false;
  for (size_t i = 0; i < items_.size(); ++i) {
    const auto* it = static_cast<const ItemBase*>(items_[i]);
    const bool is_comment = dynamic_cast<const CommentItem*>(it) != nullptr;
    const bool is_blank = dynamic_cast<const BlankItem*>(it) != nullptr;
    const bool blank_before =
        !is_blank && !prev_comment && (prev_multiline || it->multiline() || is_comment) &&
        out.size() >= 2 && out.compare(out.size() - 2, 2, "\n\n") != 0 &&
        !(i == 0 && locals_.empty() && decls_.empty());
    if (blank_before) out += "\n";
    it->Emit(out);
    prev_multiline = it->multiline();
    prev_comment = is_comment;
  }
  out += "endmodule\n";
  return out;
}

// ---------------------------------------------------------------------------------
// VerilogFile
// ---------------------------------------------------------------------------------

Module* VerilogFile::AddModule(std::string_view name) {
  CheckIdentifier(name, "module name");
  if (FindModule(name)) Fail("duplicate module `" + std::string(name) + "`");
  modules_.push_back(std::make_unique<Module>(this, std::string(name), false));
  return modules_.back().get();
}

Module* VerilogFile::DeclareExternModule(std::string_view name) {
  CheckIdentifier(name, "module name");
  if (FindModule(name)) Fail("duplicate module `" + std::string(name) + "`");
  modules_.push_back(std::make_unique<Module>(this, std::string(name), true));
  return modules_.back().get();
}

Module* VerilogFile::FindModule(std::string_view name) const {
  for (const auto& m : modules_)
    if (m->name() == name) return m.get();
  return nullptr;
}

namespace {
std::optional<int64_t> ConstValue(const Expr* e);
std::optional<int64_t> ConstValueOf(const Expr* e) { return ConstValue(e); }
template <typename T>
T* Typed(T* e, std::optional<int> w, bool s, bool unsized = false) {
  e->Set(w, s, unsized);
  return e;
}
void CheckFits(int width, uint64_t value) {
  if (width < 1) Fail("literal width must be >= 1");
  if (width < 64 && (value >> width) != 0)
    Fail("literal " + std::to_string(value) + " does not fit in " +
         std::to_string(width) + " bits");
}
}  // namespace

const Expr* VerilogFile::Lit(int width, uint64_t value) {
  CheckFits(width, value);
  const std::string text = width == 1 ? (value ? "1'b1" : "1'b0")
                                      : LiteralText(width, value, false);
  return Typed(Make<LiteralExpr>(text, false), width, false);
}

const Expr* VerilogFile::HexLit(int width, uint64_t value) {
  CheckFits(width, value);
  return Typed(Make<LiteralExpr>(LiteralText(width, value, true), false), width, false);
}

const Expr* VerilogFile::SLit(int width, int64_t value) {
  if (width < 2 || width > 64) Fail("signed literal width must be 2..64");
  const int64_t lo = width == 64 ? INT64_MIN : -(int64_t{1} << (width - 1));
  const int64_t hi = width == 64 ? INT64_MAX : (int64_t{1} << (width - 1)) - 1;
  if (value < lo || value > hi)
    Fail("signed literal " + std::to_string(value) + " does not fit in " +
         std::to_string(width) + " bits");
  std::string text;
  bool negative = false;
  if (value >= 0) {
    text = std::to_string(width) + "'sd" + std::to_string(value);
  } else if (value == lo) {  // -2^(w-1) has no positive counterpart: write its bits
    std::ostringstream os;
    os << width << "'sh" << std::hex << (uint64_t{1} << (width - 1));
    text = os.str();
  } else {
    text = "-" + std::to_string(width) + "'sd" + std::to_string(-value);
    negative = true;
  }
  return Typed(Make<LiteralExpr>(text, negative), width, true);
}

const Expr* VerilogFile::Int(int64_t value) {
  return Typed(Make<LiteralExpr>(std::to_string(value), value < 0), std::nullopt, true,
               true);
}

const Expr* VerilogFile::Str(std::string_view value) {
  if (value.find('"') != std::string_view::npos || value.find('\\') != std::string_view::npos)
    Fail("string literal contains a quote or backslash");
  return Typed(Make<LiteralExpr>("\"" + std::string(value) + "\"", false), std::nullopt,
               false, true);
}

namespace {
enum OpKind { kArith, kBitwise, kLogical, kCompare, kEquality, kShift };
}

const Expr* VerilogFile::MakeBinary(std::string_view op, Prec prec, const Expr* a,
                                    const Expr* b, int kind) {
  const std::string what = "operator " + std::string(op);
  std::optional<int> w;
  bool s = false;
  bool unsized = false;
  switch (kind) {
    case kArith:
    case kBitwise:
      CheckSameWidth(what, a, b);
      if (kind == kArith) CheckSameSign(what, a, b);
      w = a->width() ? a->width() : b->width();
      if (Cat(a) == WCat::kParam || Cat(b) == WCat::kParam) w = std::nullopt;
      s = a->is_signed() && b->is_signed();
      unsized = IsUnsized(a) && IsUnsized(b);
      break;
    case kLogical:
      CheckOneBit(what, a);
      CheckOneBit(what, b);
      w = 1;
      break;
    case kCompare:
    case kEquality:
      CheckSameWidth(what, a, b);
      if (kind == kCompare) CheckSameSign(what, a, b);
      w = 1;
      break;
    case kShift:
      w = a->width();
      s = a->is_signed();
      unsized = IsUnsized(a);
      break;
  }
  return Typed(Make<BinaryExpr>(std::string(op), prec, a, b), w, s, unsized);
}

const Expr* VerilogFile::Add(const Expr* a, const Expr* b) {
  return MakeBinary("+", Prec::kAdditive, a, b, kArith);
}
const Expr* VerilogFile::Sub(const Expr* a, const Expr* b) {
  return MakeBinary("-", Prec::kAdditive, a, b, kArith);
}
const Expr* VerilogFile::Mul(const Expr* a, const Expr* b) {
  return MakeBinary("*", Prec::kMultiplicative, a, b, kArith);
}
const Expr* VerilogFile::BitAnd(const Expr* a, const Expr* b) {
  return MakeBinary("&", Prec::kBitAnd, a, b, kBitwise);
}
const Expr* VerilogFile::BitOr(const Expr* a, const Expr* b) {
  return MakeBinary("|", Prec::kBitOr, a, b, kBitwise);
}
const Expr* VerilogFile::BitXor(const Expr* a, const Expr* b) {
  return MakeBinary("^", Prec::kBitXor, a, b, kBitwise);
}
const Expr* VerilogFile::LogicalAnd(const Expr* a, const Expr* b) {
  return MakeBinary("&&", Prec::kLogAnd, a, b, kLogical);
}
const Expr* VerilogFile::LogicalOr(const Expr* a, const Expr* b) {
  return MakeBinary("||", Prec::kLogOr, a, b, kLogical);
}
const Expr* VerilogFile::Eq(const Expr* a, const Expr* b) {
  return MakeBinary("==", Prec::kEquality, a, b, kEquality);
}
const Expr* VerilogFile::Ne(const Expr* a, const Expr* b) {
  return MakeBinary("!=", Prec::kEquality, a, b, kEquality);
}
const Expr* VerilogFile::Lt(const Expr* a, const Expr* b) {
  return MakeBinary("<", Prec::kRelational, a, b, kCompare);
}
const Expr* VerilogFile::Le(const Expr* a, const Expr* b) {
  return MakeBinary("<=", Prec::kRelational, a, b, kCompare);
}
const Expr* VerilogFile::Gt(const Expr* a, const Expr* b) {
  return MakeBinary(">", Prec::kRelational, a, b, kCompare);
}
const Expr* VerilogFile::Ge(const Expr* a, const Expr* b) {
  return MakeBinary(">=", Prec::kRelational, a, b, kCompare);
}
const Expr* VerilogFile::Shl(const Expr* a, const Expr* b) {
  return MakeBinary("<<", Prec::kShift, a, b, kShift);
}
const Expr* VerilogFile::Shr(const Expr* a, const Expr* b) {
  return MakeBinary(">>", Prec::kShift, a, b, kShift);
}
const Expr* VerilogFile::Sshr(const Expr* a, const Expr* b) {
  return MakeBinary(">>>", Prec::kShift, a, b, kShift);
}

const Expr* VerilogFile::ParamSub(const Expr* a, const Expr* b) {
  return Typed(Make<BinaryExpr>("-", Prec::kAdditive, a, b), std::nullopt, true,
               IsUnsized(a) && IsUnsized(b));
}
const Expr* VerilogFile::ParamAdd(const Expr* a, const Expr* b) {
  return Typed(Make<BinaryExpr>("+", Prec::kAdditive, a, b), std::nullopt, true,
               IsUnsized(a) && IsUnsized(b));
}
const Expr* VerilogFile::ParamMul(const Expr* a, const Expr* b) {
  return Typed(Make<BinaryExpr>("*", Prec::kMultiplicative, a, b), std::nullopt, true,
               IsUnsized(a) && IsUnsized(b));
}

namespace {
const Expr* Unary(VerilogFile* f, const char* op, const Expr* a, bool reduce) {
  if (IsUnsized(a) && reduce) Fail(std::string("reduction ") + op + " of unsized operand");
  auto* e = f->Make<UnaryExpr>(op, a);
  if (reduce) e->Set(1, false, false);
  else e->Set(a->width(), a->is_signed(), IsUnsized(a));
  return e;
}
}  // namespace

const Expr* VerilogFile::Neg(const Expr* a) { return Unary(this, "-", a, false); }
const Expr* VerilogFile::Not(const Expr* a) { return Unary(this, "~", a, false); }
const Expr* VerilogFile::LogicalNot(const Expr* a) {
  CheckOneBit("operator !", a);
  return Unary(this, "!", a, true);
}
const Expr* VerilogFile::ReduceAnd(const Expr* a) { return Unary(this, "&", a, true); }
const Expr* VerilogFile::ReduceOr(const Expr* a) { return Unary(this, "|", a, true); }
const Expr* VerilogFile::ReduceXor(const Expr* a) { return Unary(this, "^", a, true); }

const Expr* VerilogFile::Ternary(const Expr* cond, const Expr* a, const Expr* b) {
  CheckOneBit("ternary condition", cond);
  CheckSameWidth("ternary arms", a, b);
  std::optional<int> w = a->width() ? a->width() : b->width();
  if (Cat(a) == WCat::kParam || Cat(b) == WCat::kParam) w = std::nullopt;
  return Typed(Make<TernaryExpr>(cond, a, b), w, a->is_signed() && b->is_signed(),
               IsUnsized(a) && IsUnsized(b));
}

const Expr* VerilogFile::Concat(std::vector<const Expr*> parts) {
  if (parts.empty()) Fail("empty concatenation");
  std::optional<int> w = 0;
  for (const Expr* p : parts) {
    if (IsUnsized(p)) Fail("unsized operand in concatenation: " + Describe(p));
    if (w && p->width()) *w += *p->width();
    else w = std::nullopt;
  }
  return Typed(Make<ConcatExpr>(std::move(parts)), w, false);
}

const Expr* VerilogFile::Replicate(int n, const Expr* a) {
  if (n < 1) Fail("replication count must be >= 1");
  if (IsUnsized(a)) Fail("unsized operand in replication: " + Describe(a));
  std::optional<int> w;
  if (a->width()) w = n * *a->width();
  return Typed(Make<ReplicateExpr>(Int(n), a), w, false);
}

const Expr* VerilogFile::Replicate(const Expr* n, const Expr* a) {
  if (auto v = ConstValueOf(n)) return Replicate(static_cast<int>(*v), a);
  if (IsUnsized(a)) Fail("unsized operand in replication: " + Describe(a));
  return Typed(Make<ReplicateExpr>(n, a), std::nullopt, false);
}

namespace {
const LogicRef* RefOf(const Expr* a, const char* what) {
  const auto* r = dynamic_cast<const LogicRef*>(a);
  if (!r) Fail(std::string(what) + " of a non-reference `" + a->Emit() + "`");
  return r;
}
// Integer value of an unsized literal, if `e` is one.
std::optional<int64_t> ConstValue(const Expr* e) {
  const auto* l = dynamic_cast<const LiteralExpr*>(e);
  if (!l || !IsUnsized(e)) return std::nullopt;
  try {
    return std::stoll(e->Emit());
  } catch (...) {
    return std::nullopt;
  }
}
}  // namespace

const Expr* VerilogFile::Index(const Expr* a, const Expr* i) {
  // A memory word can be bit-selected: mem[a][3].
  const auto* sel = dynamic_cast<const SelectExpr*>(a);
  const bool word = sel && dynamic_cast<const LogicRef*>(sel->base()) &&
                    static_cast<const LogicRef*>(sel->base())->def()->kind ==
                        DefKind::kMemory;
  const LogicRef* r = word ? nullptr : RefOf(a, "index");
  const bool mem = r && r->def()->kind == DefKind::kMemory;
  const int64_t size = mem ? r->def()->depth : (a->width() ? *a->width() : -1);
  if (auto v = ConstValue(i)) {
    if (*v < 0 || (size > 0 && *v >= size))
      Fail("index " + std::to_string(*v) + " out of range of " + Describe(a));
  } else if (size > 0 && i->width()) {
    const int need = std::max(1, Clog2(size));
    if (*i->width() != need)
      Fail("index " + Describe(i) + " into `" + a->Emit() + "` must be " +
           std::to_string(need) + " bits");
  }
  if (mem)
    return Typed(Make<SelectExpr>(a, "", i, nullptr), r->def()->type.bits(),
                 r->def()->type.is_signed);
  return Typed(Make<SelectExpr>(a, "", i, nullptr), 1, false);
}

const Expr* VerilogFile::Slice(const Expr* a, int hi, int lo) {
  const bool word = dynamic_cast<const SelectExpr*>(a) != nullptr;
  if (!word) RefOf(a, "slice");
  if (hi < lo || lo < 0) Fail("bad slice [" + std::to_string(hi) + ":" +
                              std::to_string(lo) + "] of `" + a->Emit() + "`");
  if (a->width() && hi >= *a->width())
    Fail("slice [" + std::to_string(hi) + ":" + std::to_string(lo) + "] out of range of " +
         Describe(a));
  return Typed(Make<SelectExpr>(a, ":", Int(hi), Int(lo)), hi - lo + 1, false);
}

const Expr* VerilogFile::Slice(const Expr* a, const Expr* hi, const Expr* lo) {
  auto h = ConstValue(hi), l = ConstValue(lo);
  if (h && l) return Slice(a, static_cast<int>(*h), static_cast<int>(*l));
  if (dynamic_cast<const SelectExpr*>(a) == nullptr) RefOf(a, "slice");
  return Typed(Make<SelectExpr>(a, ":", hi, lo), std::nullopt, false);
}

const Expr* VerilogFile::PartSelect(const Expr* a, const Expr* base, int width) {
  if (dynamic_cast<const SelectExpr*>(a) == nullptr) RefOf(a, "part select");
  if (width < 1) Fail("part select width must be >= 1");
  if (auto v = ConstValue(base))
    if (a->width() && (*v < 0 || *v + width > *a->width()))
      Fail("part select [" + std::to_string(*v) + " +: " + std::to_string(width) +
           "] out of range of " + Describe(a));
  return Typed(Make<SelectExpr>(a, " +: ", base, Int(width)), width, false);
}

const Expr* VerilogFile::Signed(const Expr* a) {
  if (IsUnsized(a)) Fail("$signed of unsized operand " + Describe(a));
  return Typed(Make<CallExpr>("$signed", a), a->width(), true);
}

const Expr* VerilogFile::Unsigned(const Expr* a) {
  if (IsUnsized(a)) Fail("$unsigned of unsized operand " + Describe(a));
  return Typed(Make<CallExpr>("$unsigned", a), a->width(), false);
}

const Expr* VerilogFile::SignExtend(const Expr* a, int width) {
  if (!a->width()) Fail("SignExtend needs a concrete width: " + Describe(a));
  const int w = *a->width();
  if (width < w) Fail("SignExtend of " + Describe(a) + " to fewer bits");
  if (width == w) return a;
  const Expr* c = Concat({Replicate(width - w, Index(a, w - 1)), a});
  return a->is_signed() ? Signed(c) : c;
}

const Expr* VerilogFile::ZeroExtend(const Expr* a, int width) {
  if (!a->width()) Fail("ZeroExtend needs a concrete width: " + Describe(a));
  const int w = *a->width();
  if (width < w) Fail("ZeroExtend of " + Describe(a) + " to fewer bits");
  if (width == w) return a;
  const Expr* c = Concat({Lit(width - w, 0), a});
  return a->is_signed() ? Signed(c) : c;
}

std::string VerilogFile::EmitModuleFile(std::string_view name) const {
  const Module* m = FindModule(name);
  if (!m || m->is_extern()) Fail("no module `" + std::string(name) + "` to emit");
  return "`default_nettype none\n\n" + m->Emit() + "\n`default_nettype wire\n";
}

std::vector<std::pair<std::string, std::string>> VerilogFile::EmitFiles() const {
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& m : modules_)
    if (!m->is_extern()) files.emplace_back(m->name() + ".v", EmitModuleFile(m->name()));
  return files;
}

std::string VerilogFile::Emit() const {
  std::string out = "`default_nettype none\n";
  for (const auto& m : modules_) {
    if (m->is_extern()) continue;
    out += "\n" + m->Emit();
  }
  out += "\n`default_nettype wire\n";
  return out;
}

}  // namespace sdm::vast
