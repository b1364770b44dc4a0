# Where the lines one rtlog_publish touches lie (issue 16): stops the control loop's rtlog child
# at its first publish and prints the addresses of what the call reads and writes, normal stream.
# Divide by 64 for the cache lines, by 4096 for the pages.
#
#   gdb -q -batch -x bench/rtlog-layout.gdb --args target/release/rtlog-bench child kind=cycle \
#       peer=rtlog cond=quiet cycles=5 warmup=0 period_ns=1000000 compute_ns=20000 \
#       dir=/tmp/rtlog-layout tsc_hz=1 pcpu=0 ccpu=1
set pagination off
break bench_rtlog_record
run
set $p = ('rtlog::rt::producer::Producer'*)p
printf "Producer %p, %d bytes\n", $p, sizeof(*$p)
printf "  .rings[1] (normal: head, index, cached_tail) %p\n", &$p->rings[1]
printf "  .shared %p, .gate %p, .max_payload %p\n", &$p->shared, &$p->gate, &$p->max_payload
set $r = $p->rings[1].shared.ptr.pointer
printf "ring Shared %p: .head %p .tail %p .depth %p .slots %p\n", $r, &$r->data.head, &$r->data.tail, &$r->data.depth, &$r->data.slots
p $r->data.slots
set $g = $p->gate.ptr.pointer
printf "Gate %p: .phase %p .strong %p .normal_blocked %p -> %p\n", $g, &$g->data.phase, &$g->data.strong, &$g->data.normal_blocked, $g->data.normal_blocked.ptr.pointer
set $s = $p->shared.ptr.pointer
printf "ProducerShared %p: .id %p .hot %p\n", $s, &$s->data.id, &$s->data.hot
printf "  hot: .dropped %p .fault %p .active %p .normal_disabled %p\n", &$s->data.hot.value.dropped, &$s->data.hot.value.fault, &$s->data.hot.value.active, &$s->data.hot.value.normal_disabled
kill
