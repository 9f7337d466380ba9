/*
 * proxy.h - the network fault proxy: a TCP relay on 127.0.0.1 that the workers connect
 * through, so network faults sit between the workload and any target (the embedded
 * emulator, moto_server, or real AWS over TLS, where libcurl's CURLOPT_CONNECT_TO keeps
 * the real host name for TLS and SigV4 while the bytes go through the proxy).
 *
 * One event-loop thread relays every connection. Faults apply per chunk (one read from a
 * socket) and can be changed at any time from any thread; they take effect at once,
 * including on live connections:
 *
 *   latency/jitter  each chunk is held latency_ms + U[0, jitter_ms] in each direction
 *                   (chunks never overtake each other, as on a TCP stream); never less,
 *                   and up to about 1 ms more (epoll's timeout is in milliseconds);
 *   bandwidth       a token bucket per connection and direction;
 *   reset           a fraction of new connections, and of client chunks on live ones,
 *                   is answered with a TCP RST on both sides;
 *   blackhole       everything read is discarded and nothing is sent, not even a FIN,
 *                   so clients time out; data queued when it starts is dropped too;
 *   partition       the same black hole, only for connections accepted on one group's
 *                   port (bc_proxy_group_port), to cut off a fraction of the workers.
 *
 * Removing a fault restores normal forwarding for new data. Bytes dropped by a black
 * hole are gone: a connection that lived through one carries a torn byte stream, which
 * is what a client that timed out expects anyway (it closes the connection).
 */
#ifndef BC_PROXY_H
#define BC_PROXY_H
#include <stddef.h>
#include <stdint.h>

/* Error codes (0 = ok); err/errlen always receives a sentence saying what failed. */
enum {
    BC_PROXY_OK = 0,
    BC_PROXY_EINVAL = 1, /* bad argument (port out of range, negative group) */
    BC_PROXY_ERESOLVE,   /* getaddrinfo could not resolve the upstream host */
    BC_PROXY_ESOCKET,    /* socket/bind/listen/epoll failed */
    BC_PROXY_ENOMEM,
    BC_PROXY_ETHREAD /* the event-loop thread could not be started */
};

#define BC_PROXY_NO_GROUP (-1) /* partition_group value that partitions nobody */

typedef struct bc_proxy bc_proxy;

typedef struct bc_proxy_faults {
    int latency_ms, jitter_ms; /* added to each chunk forwarded in each direction */
    long bandwidth_bps;        /* BYTES per second, per connection and direction; 0 = unlimited */
    double reset_fraction;     /* fraction of NEW connections (and of client chunks on live
                                  ones) reset with RST (SO_LINGER 0); 0..1 */
    int blackhole;             /* accept, read, never forward nor answer (clients time out) */
    int partition_group;       /* connections of this group get black-holed;
                                  BC_PROXY_NO_GROUP (-1) for none */
} bc_proxy_faults;

/* Fills f with "no fault" (all zero, partition_group = BC_PROXY_NO_GROUP). */
void bc_proxy_faults_none(bc_proxy_faults *f);

/* Resolves upstream_host (a name or address, with getaddrinfo, once), listens on
 * 127.0.0.1:0 and starts the event loop. seed drives reset and jitter draws. */
int bc_proxy_start(const char *upstream_host, int upstream_port, uint64_t seed, bc_proxy **out,
                   char *err, size_t errlen);
int bc_proxy_port(const bc_proxy *p);
/* A second listening port whose connections are tagged with `group` (>= 0), for
 * partitioning a fraction of the workers: those workers connect through their group's
 * port. Asking again for the same group returns the same port. Thread-safe. */
int bc_proxy_group_port(bc_proxy *p, int group, int *port, char *err, size_t errlen);
/* Thread-safe; takes effect at once (also on live connections). */
void bc_proxy_set_faults(bc_proxy *p, const bc_proxy_faults *f);
void bc_proxy_clear_faults(bc_proxy *p);
void bc_proxy_get_faults(bc_proxy *p, bc_proxy_faults *f);
/* Totals since start: connections accepted, bytes delivered to the upstream and to the
 * clients, and connections reset by the reset fault. Any argument may be NULL. */
void bc_proxy_stats(const bc_proxy *p, uint64_t *conns, uint64_t *bytes_up, uint64_t *bytes_down,
                    uint64_t *resets);
/* Closes every listener and connection, joins the thread and frees p (NULL is a no-op). */
void bc_proxy_stop(bc_proxy *p);
#endif
