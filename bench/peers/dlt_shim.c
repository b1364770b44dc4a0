/* COVESA DLT peer for rtlog-bench: the DLT user library's ordinary logging path
 * (dlt_user_log_write_start / _raw / _finish, what the DLT_LOG macro expands to), one
 * application and one context shared by every producer thread.
 *
 * The daemon (or its absence) is chosen by the environment: DLT_PIPE_DIR names the directory of
 * the daemon's FIFO; the benchmark points it at a private directory.
 *
 * C ABI used by bench/src/peers/dlt.rs. */

#include <dlt.h>
#include <stdint.h>
#include <stddef.h>

DLT_DECLARE_CONTEXT(bench_ctx)

int bench_dlt_init(void) {
    if (dlt_register_app("RTLB", "rtlog bench") < 0) return -1;
    if (dlt_register_context(&bench_ctx, "BNCH", "rtlog bench context") < 0) return -2;
    return 0;
}

/* Returns the DltReturnValue of the write (0 OK, negative: refused or buffered-full). */
int bench_dlt_log(const void *payload, uint16_t len) {
    DltContextData cd;
    DltReturnValue r = dlt_user_log_write_start(&bench_ctx, &cd, DLT_LOG_INFO);
    if (r <= 0) return r == 0 ? -100 : (int)r; /* 0: level disabled */
    dlt_user_log_write_raw(&cd, (void *)payload, len);
    return (int)dlt_user_log_write_finish(&cd);
}

void bench_dlt_shutdown(void) {
    dlt_unregister_context(&bench_ctx);
    dlt_unregister_app();
    dlt_free();
}
