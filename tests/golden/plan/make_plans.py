#!/usr/bin/env python3
"""make_plans.py: writes the bad plans of this folder (run once; the files are kept in the repo).

Each NAME.plan is damaged in one way; tests/cli_run.sh runs `dmlc run NAME.plan` here and
compares its standard error with NAME.err (exit status 1). `tests/cli_run.sh DMLC --update`
rewrites the .err files after a reviewed change of the messages.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))

# A small valid module (a lowered program) with locations, as `dmlc compile` writes it.
IR = '''"cfg.decl"() {sym = @lr, value = 0.5} : () -> () loc("p.dml":1:1)
%0 = "ir.const"() {value = 3} : () -> i64 loc("p.dml":2:19)
%1 = "t.ones"(%0) : (i64) -> f64[3] loc("p.dml":2:19)
"state.param"(%1) {sym = @w, type = f64[3]} : (f64[3]) -> () loc("p.dml":2:1)
%2 = "ir.const"() {value = 0} : () -> i64 loc("p.dml":3:10)
%3 = "ir.const"() {value = 4} : () -> i64 loc("p.dml":3:13)
"loop.for"(%2, %3) ({
^bb0(%4: i64):
  %5 = "cfg.get"() {sym = @lr} : () -> f64 loc("p.dml":4:8)
  %6 = "state.read"() {sym = @w} : () -> f64[3] loc("p.dml":4:13)
  %7 = "t.mul"(%5, %6) : (f64, f64[3]) -> f64[3] loc("p.dml":4:8)
  "state.accumulate"(%7) {op = "sub", sym = @w} : (f64[3]) -> () loc("p.dml":4:3)
  %8 = "state.read"() {sym = @w} : () -> f64[3] loc("p.dml":5:18)
  %9 = "t.sum"(%8) : (f64[3]) -> f64 loc("p.dml":5:14)
  "obs.log"(%9) {keys = ["total"]} : (f64) -> () loc("p.dml":5:3)
}) : (i64, i64) -> () loc("p.dml":3:1)
'''


def fnv1a64(data: bytes) -> int:
    h = 0xcbf29ce484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001b3) & 0xffffffffffffffff
    return h


def plan(body: str, version: str = "1") -> bytes:
    """A plan around body (the source line and the IR), with a correct checksum."""
    data = body.encode()
    return b"// dmlc plan v%s\n// fnv1a64 %016x\n" % (version.encode(), fnv1a64(data)) + data


def write(name: str, data: bytes) -> None:
    with open(os.path.join(HERE, name + ".plan"), "wb") as f:
        f.write(data)


good = plan('// source "p.dml"\n' + IR)
write("not_a_plan", IR.encode())
write("empty", b"")
write("version_7", plan('// source "p.dml"\n' + IR, version="7"))
write("truncated", good[: len(good) - 40])
write("edited", good.replace(b"value = 0.5", b"value = 0.9"))
write("checksum_line_missing", b"// dmlc plan v1\n" + good.split(b"\n", 2)[2])
write("source_line_missing", plan(IR))
write("ir_syntax_error", plan('// source "p.dml"\n' + IR.replace('"t.sum"(%8)', '"t.sum"(%8')))
# Reads, but fails the verifier: a read of a state resource that is never declared.
write("ir_invalid", plan('// source "p.dml"\n' + IR.replace("sym = @w} : () -> f64[3] loc(\"p.dml\":5:18)",
                                                         "sym = @v} : () -> f64[3] loc(\"p.dml\":5:18)")))
