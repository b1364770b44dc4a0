/* A real DLT client for the DLT integration test: connects to a dlt-daemon on 127.0.0.1:PORT
 * with libdlt's client API (dlt_client.h), and appends one line per message received to
 * OUTFILE, flushed at once, until it gets SIGTERM. When the daemon goes away it connects again
 * (the test restarts the daemon on the same port).
 *
 *   usage: dlt_client_dump PORT OUTFILE
 *
 * Line format (fields separated by one space; ids with NUL bytes print them as '_'):
 *   L ecu apid ctid msin noar seid tmsp payload-hex     a log message
 *   C ecu apid ctid msin service-id payload-hex         a control message
 *   T text                                              after a verbose log message: its
 *                                                       arguments as libdlt decodes and
 *                                                       prints them (dlt_message_payload)
 * payload-hex is "-" when the payload is empty. */
#define _POSIX_C_SOURCE 200809L
#include <dlt/dlt_client.h>
#include <dlt/dlt_common.h>
#include <dlt/dlt_protocol.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DLT_CLIENT_TEXT_MAX 8192

static FILE *out;
static volatile sig_atomic_t stop;

static void on_term(int sig) {
    (void)sig;
    stop = 1;
}

static void put_id(const char *id) {
    for (int i = 0; i < 4; i++) fputc(id[i] ? id[i] : '_', out);
}

static void put_hex(const uint8_t *p, int32_t n) {
    if (n <= 0) {
        fputs("-", out);
        return;
    }
    for (int32_t i = 0; i < n; i++) fprintf(out, "%02x", p[i]);
}

static int on_message(DltMessage *m, void *data) {
    (void)data;
    if (!DLT_IS_HTYP_UEH(m->standardheader->htyp)) return 0; /* ours always have one */
    uint8_t msin = m->extendedheader->msin;
    if (DLT_GET_MSIN_MSTP(msin) == DLT_TYPE_CONTROL) {
        uint32_t service = 0;
        if (m->datasize >= 4) memcpy(&service, m->databuffer, 4);
        fputs("C ", out);
        put_id(m->headerextra.ecu);
        fputc(' ', out);
        put_id(m->extendedheader->apid);
        fputc(' ', out);
        put_id(m->extendedheader->ctid);
        fprintf(out, " %02x %u ", msin, (unsigned)service);
    } else {
        fputs("L ", out);
        put_id(m->headerextra.ecu);
        fputc(' ', out);
        put_id(m->extendedheader->apid);
        fputc(' ', out);
        put_id(m->extendedheader->ctid);
        fprintf(out, " %02x %u %u %u ", msin, (unsigned)m->extendedheader->noar,
                (unsigned)m->headerextra.seid, (unsigned)m->headerextra.tmsp);
    }
    put_hex(m->databuffer, m->datasize);
    fputc('\n', out);
    if (DLT_GET_MSIN_MSTP(msin) != DLT_TYPE_CONTROL && DLT_IS_MSIN_VERB(msin)) {
        /* libdlt decodes the verbose arguments itself, as dlt-receive -a shows them. */
        static char text[DLT_CLIENT_TEXT_MAX];
        if (dlt_message_payload(m, text, sizeof text, DLT_OUTPUT_ASCII, 1) != DLT_RETURN_OK)
            snprintf(text, sizeof text, "<libdlt could not decode the payload>");
        for (char *c = text; *c; c++)
            if (*c == '\n') *c = ' ';
        fprintf(out, "T %s\n", text);
    }
    fflush(out);
    return stop ? -1 : 0;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s PORT OUTFILE\n", argv[0]);
        return 2;
    }
    int port = atoi(argv[1]);
    out = fopen(argv[2], "a");
    if (!out) {
        perror(argv[2]);
        return 1;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL); /* no SA_RESTART: a blocked recv returns */
    signal(SIGPIPE, SIG_IGN);
    dlt_client_register_message_callback(on_message);
    while (!stop) {
        DltClient client;
        /* dlt_client_init_port leaves some fields alone (resync_serial_header among them):
         * garbage there makes the client look for serial headers and find no message. */
        memset(&client, 0, sizeof client);
        dlt_client_init_port(&client, port, 0);
        client.mode = DLT_CLIENT_MODE_TCP;
        dlt_client_set_server_ip(&client, "127.0.0.1");
        if (dlt_client_connect(&client, 0) == DLT_RETURN_OK) {
            fprintf(stderr, "dlt_client_dump: connected to 127.0.0.1:%d\n", port);
            dlt_client_main_loop(&client, NULL, 0); /* returns when the daemon goes away */
        }
        dlt_client_cleanup(&client, 0);
        struct timespec pause = {0, 50 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    fclose(out);
    return 0;
}
