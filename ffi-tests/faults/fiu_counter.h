/*
 * fiu_counter.h - see fiu_counter.c: counted libfiu fault injection for
 * programs run under `fiu-run -x`.
 */
#ifndef RTLOG_FIU_COUNTER_H
#define RTLOG_FIU_COUNTER_H

/* Disables every failure point and writes the report line (once; also done
 * at exit). Call it before the program checks what it wrote. */
void fiu_counter_stop(void);

/* 1 while faults are being injected. */
int fiu_counter_active(void);

/* hold = 1: no faults (nor counting) until fiu_counter_hold(0), for the
 * program's own set-up I/O. */
void fiu_counter_hold(int hold);

#endif
