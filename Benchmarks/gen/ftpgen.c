// ftpgen — deterministic generator of large FTP captures for the ftpscope benchmark (issue 8).
//
//   ftpgen --profile data|control|mixed --scale S --seed N --out FILE.pcap --truth FILE.json
//
// Writes classic pcap (Ethernet, microsecond timestamps) with one large buffered writer, and the ground truth as
// JSON: every FTP session with its endpoints, user and login outcome, and every data-channel announcement or
// transfer with the status ftpscope should give it (SPEC.md vocabulary) and its payload bytes.
//
// Sessions are scripts of actions (open a connection, send a line, stream N bytes, close, SYN refused, SYNs
// unanswered); a scheduler keeps K sessions running at once and picks one at random for every packet, so
// sessions and their data connections interleave. Same seed and scale → byte-identical output.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <math.h>

// ---------------------------------------------------------------- random (splitmix64, deterministic)
static uint64_t rng_state;
static uint64_t rnd64(void) {
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static uint32_t rnd(uint32_t n) { return (uint32_t)(rnd64() % n); }          // [0, n)
static int chance(double p) { return (double)(rnd64() >> 11) / 9007199254740992.0 < p; }
static uint64_t log_uniform(uint64_t lo, uint64_t hi) {
    double u = (double)(rnd64() >> 11) / 9007199254740992.0;
    return (uint64_t)exp(log((double)lo) + u * (log((double)hi) - log((double)lo)));
}

// ---------------------------------------------------------------- pcap writer
static FILE *out;
static uint8_t *obuf;
static size_t olen;
#define OBUF_SIZE (8u << 20)
static uint64_t bytes_written, packets_written;
static uint64_t now_us;  // global clock

static void oflush(void) {
    if (olen && fwrite(obuf, 1, olen, out) != olen) { perror("write"); exit(1); }
    olen = 0;
}
static void owrite(const void *p, size_t n) {
    if (olen + n > OBUF_SIZE) oflush();
    memcpy(obuf + olen, p, n);
    olen += n;
}
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }  // pcap header: host order (magic says which)
static void be16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = (uint8_t)v; }
static void be32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = (uint8_t)v; }

static void write_frame(const uint8_t *hdr, size_t hlen, const uint8_t *payload, size_t plen) {
    uint8_t rec[16];
    put32(rec, (uint32_t)(now_us / 1000000));
    put32(rec + 4, (uint32_t)(now_us % 1000000));
    put32(rec + 8, (uint32_t)(hlen + plen));
    put32(rec + 12, (uint32_t)(hlen + plen));
    owrite(rec, 16);
    owrite(hdr, hlen);
    if (plen) owrite(payload, plen);
    bytes_written += 16 + hlen + plen;
    packets_written++;
}

// ---------------------------------------------------------------- checksums
static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s) {
    for (size_t i = 0; i + 1 < n; i += 2) s += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1) s += (uint32_t)p[n - 1] << 8;
    return s;
}
static uint16_t fold(uint32_t s) {
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

// Bulk payload: printable pattern; its checksum for the two full segment sizes is cached.
#define MAXSEG 1460
static uint8_t pattern[MAXSEG];
static uint32_t pattern_sum_1460, pattern_sum_1440;
static uint32_t payload_sum(const uint8_t *p, size_t n) {
    if (p == pattern && n == 1460) return pattern_sum_1460;
    if (p == pattern && n == 1440) return pattern_sum_1440;
    return sum16(p, n, 0);
}

// ---------------------------------------------------------------- addresses and connections
typedef struct { int v6; uint8_t a[16]; } addr_t;  // v4 in a[0..3]

static addr_t v4(uint32_t x) { addr_t r = {0}; be32(r.a, x); return r; }
static addr_t v6(uint16_t g0, uint16_t g1, uint16_t g2, uint64_t low) {
    addr_t r = {0}; r.v6 = 1;
    be16(r.a, g0); be16(r.a + 2, g1); be16(r.a + 4, g2);
    for (int i = 0; i < 8; i++) r.a[8 + i] = (uint8_t)(low >> (56 - 8 * i));
    return r;
}
static void fmt_addr(char *b, const addr_t *a) {
    if (!a->v6) { sprintf(b, "%u.%u.%u.%u", a->a[0], a->a[1], a->a[2], a->a[3]); return; }
    // Compressed form as ftpscope prints it (RFC 5952): longest run of zero groups → "::".
    uint16_t g[8];
    for (int i = 0; i < 8; i++) g[i] = (uint16_t)(a->a[2 * i] << 8 | a->a[2 * i + 1]);
    int bs = -1, bl = 0;
    for (int i = 0; i < 8;) {
        if (g[i]) { i++; continue; }
        int j = i; while (j < 8 && !g[j]) j++;
        if (j - i > bl && j - i >= 2) { bs = i; bl = j - i; }
        i = j;
    }
    char *p = b;
    for (int i = 0; i < 8; i++) {
        if (i == bs) { p += sprintf(p, "::"); i += bl - 1; continue; }
        if (i && !(bs >= 0 && i == bs + bl)) *p++ = ':';
        p += sprintf(p, "%x", g[i]);
    }
    *p = 0;
}
static void fmt_ep(char *b, const addr_t *a, uint16_t port) {
    char t[64]; fmt_addr(t, a);
    if (a->v6) sprintf(b, "[%s]:%u", t, port); else sprintf(b, "%s:%u", t, port);
}

// A TCP connection: side 0 opened it (SYN), side 1 answered.
typedef struct {
    addr_t ip[2];
    uint16_t port[2];
    uint32_t seq[2];  // next sequence number each side sends
    int udp;
} conn_t;

static const uint8_t mac_a[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01};
static const uint8_t mac_b[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x02};

enum { F_FIN = 1, F_SYN = 2, F_RST = 4, F_PSH = 8, F_ACK = 16 };

static void emit(conn_t *c, int from, int flags, const uint8_t *payload, size_t plen) {
    uint8_t h[14 + 40 + 24];
    const int to = 1 - from;
    const int v6f = c->ip[0].v6;
    memcpy(h, from ? mac_b : mac_a, 6);
    memcpy(h + 6, from ? mac_a : mac_b, 6);
    be16(h + 12, v6f ? 0x86dd : 0x0800);
    uint8_t *ip = h + 14;
    const int iphl = v6f ? 40 : 20;
    const int l4hl = c->udp ? 8 : ((flags & F_SYN) ? 24 : 20);
    const int proto = c->udp ? 17 : 6;
    uint8_t *l4 = ip + iphl;
    const size_t l4len = l4hl + plen;
    // pseudo-header sum
    uint32_t s = 0;
    if (v6f) {
        memset(ip, 0, 40);
        ip[0] = 0x60;
        be16(ip + 4, (uint16_t)l4len);
        ip[6] = (uint8_t)proto; ip[7] = 64;
        memcpy(ip + 8, c->ip[from].a, 16);
        memcpy(ip + 24, c->ip[to].a, 16);
        s = sum16(ip + 8, 32, 0);
        s += (uint32_t)(l4len >> 16) + (uint32_t)(l4len & 0xffff) + proto;
    } else {
        memset(ip, 0, 20);
        ip[0] = 0x45;
        be16(ip + 2, (uint16_t)(20 + l4len));
        be16(ip + 4, (uint16_t)(packets_written & 0xffff));
        be16(ip + 6, 0x4000);
        ip[8] = 64; ip[9] = (uint8_t)proto;
        memcpy(ip + 12, c->ip[from].a, 4);
        memcpy(ip + 16, c->ip[to].a, 4);
        be16(ip + 10, fold(sum16(ip, 20, 0)));
        s = sum16(ip + 12, 8, 0) + proto + (uint32_t)l4len;
    }
    if (c->udp) {
        be16(l4, c->port[from]); be16(l4 + 2, c->port[to]);
        be16(l4 + 4, (uint16_t)l4len); be16(l4 + 6, 0);
        s = sum16(l4, 8, s) + payload_sum(payload, plen);
        uint16_t ck = fold(s); be16(l4 + 6, ck ? ck : 0xffff);
    } else {
        be16(l4, c->port[from]); be16(l4 + 2, c->port[to]);
        uint32_t seq = c->seq[from], ack = c->seq[to];
        if ((flags & F_RST) && !(flags & F_ACK)) ack = 0;
        be32(l4 + 4, seq); be32(l4 + 8, (flags & F_ACK) ? ack : 0);
        l4[12] = (uint8_t)((l4hl / 4) << 4); l4[13] = (uint8_t)flags;
        be16(l4 + 14, 64240); be16(l4 + 16, 0); be16(l4 + 18, 0);
        if (flags & F_SYN) { l4[20] = 2; l4[21] = 4; be16(l4 + 22, v6f ? 1440 : 1460); }
        s = sum16(l4, l4hl, s) + payload_sum(payload, plen);
        be16(l4 + 16, fold(s));
        c->seq[from] += (uint32_t)plen + ((flags & F_SYN) ? 1 : 0) + ((flags & F_FIN) ? 1 : 0);
    }
    write_frame(h, 14 + iphl + l4hl, payload, plen);
}

// ---------------------------------------------------------------- session scripts
enum { A_OPEN, A_SYN_RST, A_SYN_LOST, A_TEXT, A_DATA, A_CLOSE, A_UDP };
typedef struct {
    uint8_t type, conn, from;
    uint64_t n;   // bytes (A_DATA), SYN count (A_SYN_LOST)
    char *text;   // A_TEXT, A_UDP payload
    size_t tlen;
} action_t;

typedef struct {
    conn_t conns[16];
    int nconns;
    action_t *acts;
    int nacts, cap;
    int cur;
    uint64_t sub, sub2;  // progress inside the current action
    int is_ftp;
} session_t;

static void add(session_t *s, action_t a) {
    if (s->nacts == s->cap) { s->cap = s->cap ? s->cap * 2 : 64; s->acts = realloc(s->acts, s->cap * sizeof(action_t)); }
    s->acts[s->nacts++] = a;
}
static void act(session_t *s, int type, int conn, int from, uint64_t n) {
    add(s, (action_t){.type = (uint8_t)type, .conn = (uint8_t)conn, .from = (uint8_t)from, .n = n});
}
static void say(session_t *s, int conn, int from, const char *fmt, ...) {
    char b[512];
    va_list ap; va_start(ap, fmt);
    int n = vsnprintf(b, sizeof b - 2, fmt, ap);
    va_end(ap);
    b[n++] = '\r'; b[n++] = '\n';
    action_t a = {.type = A_TEXT, .conn = (uint8_t)conn, .from = (uint8_t)from, .tlen = (size_t)n};
    a.text = malloc((size_t)n); memcpy(a.text, b, (size_t)n);
    add(s, a);
}
static int new_conn(session_t *s, addr_t a, uint16_t pa, addr_t b, uint16_t pb, int udp) {
    conn_t *c = &s->conns[s->nconns];
    c->ip[0] = a; c->ip[1] = b; c->port[0] = pa; c->port[1] = pb; c->udp = udp;
    c->seq[0] = (uint32_t)rnd64(); c->seq[1] = (uint32_t)rnd64();
    return s->nconns++;
}

// Emits the next packet of the session; returns 0 when the script is finished.
static int step(session_t *s) {
    while (s->cur < s->nacts) {
        action_t *a = &s->acts[s->cur];
        conn_t *c = &s->conns[a->conn];
        const int f = a->from, o = 1 - a->from;
        switch (a->type) {
        case A_OPEN:
            if (s->sub == 0) { emit(c, 0, F_SYN, NULL, 0); s->sub = 1; return 1; }
            if (s->sub == 1) { emit(c, 1, F_SYN | F_ACK, NULL, 0); s->sub = 2; return 1; }
            emit(c, 0, F_ACK, NULL, 0); break;
        case A_SYN_RST:
            if (s->sub == 0) { emit(c, 0, F_SYN, NULL, 0); s->sub = 1; return 1; }
            emit(c, 1, F_RST | F_ACK, NULL, 0); break;
        case A_SYN_LOST: {
            uint32_t isn = c->seq[0];
            emit(c, 0, F_SYN, NULL, 0);
            c->seq[0] = isn;  // retransmissions carry the same ISN
            if (++s->sub < a->n) return 1;
            c->seq[0] = isn + 1;
            break;
        }
        case A_TEXT:
            if (s->sub == 0) {
                emit(c, f, c->udp ? 0 : (F_PSH | F_ACK), (const uint8_t *)a->text, a->tlen);
                // The receiver acknowledges on its own now and then (otherwise its next segment carries the ACK).
                if (!c->udp && chance(0.5)) { s->sub = 1; return 1; }
                break;
            }
            emit(c, o, F_ACK, NULL, 0); break;
        case A_UDP:
            emit(c, f, 0, (const uint8_t *)a->text, a->tlen); break;
        case A_DATA: {
            // s->sub = bytes sent; s->sub2 = 1 when a delayed ACK is due
            if (s->sub2) { emit(c, o, F_ACK, NULL, 0); s->sub2 = 0; if (s->sub >= a->n) break; return 1; }
            const uint64_t mss = c->ip[0].v6 ? 1440 : 1460;
            uint64_t n = a->n - s->sub; if (n > mss) n = mss;
            if (n == 0) break;
            emit(c, f, F_ACK | (s->sub + n >= a->n ? F_PSH : 0), pattern, n);
            s->sub += n;
            uint64_t segs = (s->sub + mss - 1) / mss;
            if (segs % 2 == 0 || s->sub >= a->n) { s->sub2 = 1; }
            return 1;
        }
        case A_CLOSE:
            if (s->sub == 0) { emit(c, f, F_FIN | F_ACK, NULL, 0); s->sub = 1; return 1; }
            if (s->sub == 1) { emit(c, o, F_FIN | F_ACK, NULL, 0); s->sub = 2; return 1; }
            emit(c, f, F_ACK, NULL, 0); break;
        }
        s->cur++; s->sub = 0; s->sub2 = 0;
        return 1;
    }
    return 0;
}
static void free_session(session_t *s) {
    for (int i = 0; i < s->nacts; i++) free(s->acts[i].text);
    free(s->acts); free(s);
}

// ---------------------------------------------------------------- ground truth
static FILE *truth;
static int truth_sessions;
static uint64_t session_serial, bg_serial;

typedef struct { const char *command; const char *mode; char announced[80]; const char *status; uint64_t bytes; } ttransfer_t;

// ---------------------------------------------------------------- profiles
typedef struct {
    const char *name;
    double target_bytes;
    int concurrency;
    uint32_t step_us;       // mean time between packets
    double v6_share;
    int min_xfers, max_xfers;
    uint64_t xfer_lo, xfer_hi;   // RETR/STOR sizes (log-uniform)
    double failure_share;   // share of transfers that fail (control-heavy)
    double failed_login, anonymous;
    double bg_share;        // share of bytes that is non-FTP background
    int chatty;             // extra commands (SIZE/MDTM/CWD/PWD/…)
} profile_t;

static profile_t P;
static uint64_t bg_hi = 20000000;

static const char *users[] = {"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
                              "mallory", "oscar", "peggy", "trent", "victor", "walter", "backup", "deploy", "www", "ops"};

static addr_t server_addr(int v6f, int i) {
    return v6f ? v6(0x2001, 0xdb8, 0x5, 0x10 + i) : v4(0xC0000200u + 10 + i);  // 192.0.2.10+i
}
static addr_t client_addr(int v6f, uint64_t serial) {
    // one address per session: 198.18.0.0/15 (benchmarking range) and 2001:db8:c::/64
    return v6f ? v6(0x2001, 0xdb8, 0xc, 0x1000 + serial) : v4(0xC6120000u + 1 + (uint32_t)(serial % 131000));
}

static void fmt_port_arg(char *b, const addr_t *a, uint16_t p) {
    sprintf(b, "%u,%u,%u,%u,%u,%u", a->a[0], a->a[1], a->a[2], a->a[3], p >> 8, p & 255);
}

static int passive_next[2][8] = {{40000, 40000, 40000, 40000, 40000, 40000, 40000, 40000},
                                 {40000, 40000, 40000, 40000, 40000, 40000, 40000, 40000}};

static session_t *make_ftp_session(void) {
    session_t *s = calloc(1, sizeof *s);
    s->is_ftp = 1;
    const uint64_t serial = session_serial++;
    const int v6f = chance(P.v6_share);
    const int server_index = (int)rnd(8);
    addr_t cip = client_addr(v6f, serial), sip = server_addr(v6f, server_index);
    uint16_t cport = (uint16_t)(32768 + rnd(20000) + (serial / 131000) * 7);
    uint16_t next_cport = (uint16_t)(cport + 1);
    const int ctl = new_conn(s, cip, cport, sip, 21, 0);
    enum { C = 0, S = 1 };

    ttransfer_t xs[16]; int nx = 0;
    const char *user; const char *login;
    char uname[32];
    act(s, A_OPEN, ctl, 0, 0);
    say(s, ctl, S, "220 ftpscope benchmark server ready");
    if (chance(P.anonymous)) {
        user = "anonymous"; login = "anonymous";
        say(s, ctl, C, "USER anonymous");
        say(s, ctl, S, "331 Please specify the password.");
        say(s, ctl, C, "PASS guest%llu@example.com", (unsigned long long)serial);
        say(s, ctl, S, "230 Login successful.");
    } else {
        snprintf(uname, sizeof uname, "%s%u", users[rnd(20)], rnd(100));
        user = uname;
        if (chance(P.failed_login)) {
            login = "failed";
            int tries = 1 + (int)rnd(3);
            for (int i = 0; i < tries; i++) {
                say(s, ctl, C, "USER %s", uname);
                say(s, ctl, S, "331 Please specify the password.");
                say(s, ctl, C, "PASS wrong%u", rnd(100000));
                say(s, ctl, S, "530 Login incorrect.");
            }
            if (chance(0.5)) { say(s, ctl, C, "QUIT"); say(s, ctl, S, "221 Goodbye."); act(s, A_CLOSE, ctl, S, 0); }
            else act(s, A_CLOSE, ctl, S, 0);  // server drops the connection after too many failures
            goto done;
        }
        login = "succeeded";
        say(s, ctl, C, "USER %s", uname);
        say(s, ctl, S, "331 Please specify the password.");
        say(s, ctl, C, "PASS s3cret-%u", rnd(1000000));
        say(s, ctl, S, "230 Login successful.");
    }
    say(s, ctl, C, "SYST"); say(s, ctl, S, "215 UNIX Type: L8");
    say(s, ctl, C, "PWD"); say(s, ctl, S, "257 \"/\" is the current directory");
    if (P.chatty) {
        say(s, ctl, C, "CWD pub"); say(s, ctl, S, "250 Directory successfully changed.");
        say(s, ctl, C, "PWD"); say(s, ctl, S, "257 \"/pub\" is the current directory");
    }
    say(s, ctl, C, "TYPE I"); say(s, ctl, S, "200 Switching to Binary mode.");
    {
        int nxfers = P.min_xfers + (int)rnd((uint32_t)(P.max_xfers - P.min_xfers + 1));
        for (int k = 0; k < nxfers && nx < 15; k++) {
            ttransfer_t *t = &xs[nx++];
            // mode
            int m = v6f ? (chance(0.6) ? 3 : 1) : (int)rnd(4);  // 0 PASV 1 EPRT 2 PORT 3 EPSV
            int passive = (m == 0 || m == 3);
            t->mode = m == 0 ? "passive" : m == 1 ? "extended_active" : m == 2 ? "active" : "extended_passive";
            // command
            int kind = (int)rnd(10);  // 0-2 LIST, 3-7 RETR, 8-9 STOR
            const char *cmd = kind <= 2 ? "LIST" : kind <= 7 ? "RETR" : "STOR";
            char fname[48]; snprintf(fname, sizeof fname, "file-%llu-%d.bin", (unsigned long long)serial, k);
            uint64_t size = kind <= 2 ? 200 + rnd(4000) : log_uniform(P.xfer_lo, P.xfer_hi);
            // outcome
            enum { OK, REFUSED, UNANSWERED, NOT_SEEN, CMD_FAILED, UNUSED } oc = OK;
            if (chance(P.failure_share)) oc = (int)(1 + rnd(5));
            if (oc == CMD_FAILED) passive = 0, m = v6f ? 1 : 2, t->mode = v6f ? "extended_active" : "active";
            if (oc == UNUSED) passive = 1, m = v6f ? 3 : 0, t->mode = v6f ? "extended_passive" : "passive";
            // announcement
            addr_t dip; uint16_t dport;
            if (passive) {
                // Like a server's passive range: the next free port after a small random step, so two sessions
                // never hold the same listening port at once.
                int si = server_index;
                passive_next[v6f][si] = 40000 + (passive_next[v6f][si] - 40000 + 1 + rnd(7)) % 20000;
                dip = sip; dport = (uint16_t)passive_next[v6f][si];
            }
            else { dip = cip; dport = next_cport++; }
            char arg[96];
            if (P.chatty && kind >= 3 && kind <= 7 && oc != CMD_FAILED) {
                say(s, ctl, C, "SIZE %s", fname); say(s, ctl, S, "213 %llu", (unsigned long long)size);
                if (chance(0.5)) { say(s, ctl, C, "MDTM %s", fname); say(s, ctl, S, "213 20260101120000"); }
            }
            if (m == 0) {
                say(s, ctl, C, "PASV");
                fmt_port_arg(arg, &sip, dport);
                say(s, ctl, S, "227 Entering Passive Mode (%s).", arg);
            } else if (m == 3) {
                say(s, ctl, C, "EPSV");
                say(s, ctl, S, "229 Entering Extended Passive Mode (|||%u|)", dport);
            } else if (m == 2) {
                fmt_port_arg(arg, &cip, dport);
                say(s, ctl, C, "PORT %s", arg); say(s, ctl, S, "200 PORT command successful. Consider using PASV.");
            } else {
                char a[64]; fmt_addr(a, &cip);
                say(s, ctl, C, "EPRT |%d|%s|%u|", v6f ? 2 : 1, a, dport);
                say(s, ctl, S, "200 EPRT command successful. Consider using EPSV.");
            }
            fmt_ep(t->announced, &dip, dport);
            t->bytes = 0;
            t->command = cmd;
            const int up = cmd[0] == 'S';  // STOR: client → server
            char line[96]; if (cmd[0] == 'L') snprintf(line, sizeof line, "LIST"); else snprintf(line, sizeof line, "%s %s", cmd, fname);
            int dc;
            switch (oc) {
            case OK:
                t->status = "completed"; t->bytes = size;
                if (passive) {
                    dc = new_conn(s, cip, next_cport++, sip, dport, 0);
                    act(s, A_OPEN, dc, 0, 0);
                    say(s, ctl, C, "%s", line);
                    say(s, ctl, S, up ? "150 Ok to send data." : "150 Opening BINARY mode data connection.");
                    act(s, A_DATA, dc, up ? 0 : 1, size);
                    act(s, A_CLOSE, dc, up ? 0 : 1, 0);
                } else {
                    say(s, ctl, C, "%s", line);
                    dc = new_conn(s, sip, 20, cip, dport, 0);
                    act(s, A_OPEN, dc, 0, 0);
                    say(s, ctl, S, up ? "150 Ok to send data." : "150 Opening BINARY mode data connection.");
                    act(s, A_DATA, dc, up ? 1 : 0, size);
                    act(s, A_CLOSE, dc, up ? 1 : 0, 0);
                }
                say(s, ctl, S, up ? "226 Transfer complete." : "226 Transfer complete.");
                break;
            case REFUSED:
                t->status = "refused";
                if (passive) {  // the client's SYN to the passive port is reset; it gives up on this one
                    dc = new_conn(s, cip, next_cport++, sip, dport, 0);
                    act(s, A_SYN_RST, dc, 0, 0);
                    t->command = NULL;
                } else {
                    say(s, ctl, C, "%s", line);
                    dc = new_conn(s, sip, 20, cip, dport, 0);
                    act(s, A_SYN_RST, dc, 0, 0);
                    say(s, ctl, S, "425 Failed to establish connection.");
                }
                break;
            case UNANSWERED:
                t->status = "unanswered";
                if (passive) {
                    dc = new_conn(s, cip, next_cport++, sip, dport, 0);
                    act(s, A_SYN_LOST, dc, 0, 3);
                    t->command = NULL;
                } else {
                    say(s, ctl, C, "%s", line);
                    dc = new_conn(s, sip, 20, cip, dport, 0);
                    act(s, A_SYN_LOST, dc, 0, 3);
                    say(s, ctl, S, "425 Failed to establish connection.");
                }
                break;
            case NOT_SEEN:
                t->status = "not_seen";
                say(s, ctl, C, "%s", line);
                say(s, ctl, S, "425 Can't open data connection.");
                break;
            case CMD_FAILED:
                t->status = "command_failed"; t->command = "RETR";
                snprintf(line, sizeof line, "RETR missing-%llu-%d.bin", (unsigned long long)serial, k);
                say(s, ctl, C, "%s", line);
                say(s, ctl, S, "550 Failed to open file.");
                break;
            case UNUSED:
                t->status = "unused"; t->command = NULL;
                break;
            }
        }
    }
    if (P.chatty && chance(0.3)) { say(s, ctl, C, "NOOP"); say(s, ctl, S, "200 NOOP ok."); }
    if (chance(0.9)) {
        say(s, ctl, C, "QUIT"); say(s, ctl, S, "221 Goodbye.");
        act(s, A_CLOSE, ctl, S, 0);
    } else {
        act(s, A_CLOSE, ctl, C, 0);  // the client just closes
    }
done:;
    // ground truth, in order of the control connection's first packet (emitted right after this)
    char ce[80], se[80];
    fmt_ep(ce, &cip, cport); fmt_ep(se, &sip, 21);
    fprintf(truth, "%s\n  {\"id\": \"S%d\", \"client\": \"%s\", \"server\": \"%s\", \"user\": \"%s\", \"login\": \"%s\", \"transfers\": [",
            truth_sessions ? "," : "", truth_sessions + 1, ce, se, user, login);
    for (int i = 0; i < nx; i++) {
        ttransfer_t *t = &xs[i];
        fprintf(truth, "%s{\"command\": %s%s%s, \"mode\": \"%s\", \"announced\": \"%s\", \"status\": \"%s\", \"bytes\": %llu}",
                i ? ", " : "", t->command ? "\"" : "", t->command ? t->command : "null", t->command ? "\"" : "",
                t->mode, t->announced, t->status, (unsigned long long)t->bytes);
    }
    fprintf(truth, "]}");
    truth_sessions++;
    return s;
}

// Non-FTP background: HTTP-like bulk flows on 80/443 and DNS-like UDP exchanges.
static session_t *make_bg_session(void) {
    session_t *s = calloc(1, sizeof *s);
    const uint64_t serial = bg_serial++;
    addr_t cip = v4(0xC6130000u + 1 + (uint32_t)(serial % 65000));            // 198.19.x.x
    if (chance(0.2)) {  // DNS: a handful of queries
        int dc = new_conn(s, cip, (uint16_t)(10000 + rnd(50000)), v4(0xC0000235u), 53, 1);  // 192.0.2.53
        int q = 1 + (int)rnd(6);
        for (int i = 0; i < q; i++) {
            action_t a = {.type = A_UDP, .conn = (uint8_t)dc, .from = 0, .tlen = 40 + rnd(30)};
            a.text = malloc(a.tlen); memset(a.text, 'q', a.tlen); add(s, a);
            action_t r = {.type = A_UDP, .conn = (uint8_t)dc, .from = 1, .tlen = 80 + rnd(200)};
            r.text = malloc(r.tlen); memset(r.text, 'r', r.tlen); add(s, r);
        }
        return s;
    }
    const int tls = chance(0.5);
    addr_t sip = v4(0xCB007150u + rnd(16));  // 203.0.113.80+
    int c = new_conn(s, cip, (uint16_t)(30000 + rnd(30000)), sip, tls ? 443 : 80, 0);
    act(s, A_OPEN, c, 0, 0);
    int reqs = 1 + (int)rnd(3);
    for (int i = 0; i < reqs; i++) {
        if (tls) { act(s, A_DATA, c, 0, 200 + rnd(400)); act(s, A_DATA, c, 1, log_uniform(20000, bg_hi)); }
        else {
            say(s, c, 0, "GET /static/blob-%llu-%d.bin HTTP/1.1\r\nHost: cdn.example.com\r\nUser-Agent: bench/1.0\r\n",
                (unsigned long long)serial, i);
            say(s, c, 1, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nServer: bench\r\n");
            act(s, A_DATA, c, 1, log_uniform(20000, bg_hi));
        }
    }
    act(s, A_CLOSE, c, chance(0.5), 0);
    return s;
}

int main(int argc, char **argv) {
    const char *profile = "control", *outp = NULL, *truthp = NULL;
    double scale = 1.0; uint64_t seed = 8;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--profile") && i + 1 < argc) profile = argv[++i];
        else if (!strcmp(argv[i], "--scale") && i + 1 < argc) scale = atof(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--out") && i + 1 < argc) outp = argv[++i];
        else if (!strcmp(argv[i], "--truth") && i + 1 < argc) truthp = argv[++i];
        else { fprintf(stderr, "usage: ftpgen --profile data|control|mixed [--scale S] [--seed N] --out F.pcap --truth F.json\n"); return 64; }
    }
    if (!outp || !truthp) { fprintf(stderr, "ftpgen: --out and --truth are required\n"); return 64; }
    if (!strcmp(profile, "data")) {
        P = (profile_t){"data", 2.0e9, 8, 8, 0.15, 1, 4, 256 << 10, 40 << 20, 0.0, 0.0, 0.05, 0.0, 0};
    } else if (!strcmp(profile, "control")) {
        P = (profile_t){"control", 3.0e8, 400, 40, 0.35, 2, 10, 200, 6000, 0.25, 0.08, 0.10, 0.0, 1};
    } else if (!strcmp(profile, "mixed")) {
        P = (profile_t){"mixed", 1.0e9, 40, 12, 0.25, 1, 6, 2000, 8 << 20, 0.10, 0.05, 0.10, 0.5, 1};
    } else { fprintf(stderr, "ftpgen: unknown profile %s\n", profile); return 64; }
    P.target_bytes *= scale;
    // Small runs keep their shape: transfers and concurrency shrink with the target, so a run ends near it.
    {
        double cap = P.target_bytes / (P.concurrency * (double)P.max_xfers);
        if (P.xfer_hi > cap && cap > P.xfer_lo * 4) P.xfer_hi = (uint64_t)cap;
        else if (P.xfer_hi > cap) P.xfer_hi = P.xfer_lo * 4;
        bg_hi = P.xfer_hi < 20000000 ? (P.xfer_hi > 40000 ? P.xfer_hi : 40000) : 20000000;
        int conc = (int)(P.target_bytes / 200000.0);  // control-heavy sessions average ~20 KB
        if (!strcmp(profile, "control") && conc < P.concurrency) P.concurrency = conc < 20 ? 20 : conc;
    }
    rng_state = seed * 0x100000001B3ull + (uint64_t)profile[0];
    for (int i = 0; i < MAXSEG; i++) pattern[i] = (uint8_t)(' ' + (i * 7 + i / 13) % 95);
    pattern_sum_1460 = sum16(pattern, 1460, 0);
    pattern_sum_1440 = sum16(pattern, 1440, 0);

    out = fopen(outp, "wb"); if (!out) { perror(outp); return 1; }
    truth = fopen(truthp, "w"); if (!truth) { perror(truthp); return 1; }
    obuf = malloc(OBUF_SIZE);
    uint8_t gh[24];
    put32(gh, 0xa1b2c3d4); gh[4] = 2; gh[5] = 0; gh[6] = 4; gh[7] = 0;  // version 2.4 (little-endian host)
    put32(gh + 8, 0); put32(gh + 12, 0); put32(gh + 16, 65535); put32(gh + 20, 1);
    owrite(gh, 24); bytes_written = 24;
    fprintf(truth, "{\"profile\": \"%s\", \"scale\": %g, \"seed\": %llu, \"sessions\": [", P.name, scale, (unsigned long long)seed);

    now_us = 1767258000ull * 1000000ull;  // 2026-01-01T09:00:00Z
    session_t **active = calloc((size_t)P.concurrency, sizeof *active);
    int nactive = 0;
    uint64_t ftp_bytes = 0, bg_bytes = 0;
    for (;;) {
        while (nactive < P.concurrency && bytes_written < P.target_bytes) {
            int bg = P.bg_share > 0 && bg_bytes < ftp_bytes * P.bg_share / (1 - P.bg_share);
            session_t *s = bg ? make_bg_session() : make_ftp_session();
            uint64_t before = bytes_written;
            step(s);  // its first packet now, so session order = order of first packets
            (s->is_ftp ? &ftp_bytes : &bg_bytes)[0] += bytes_written - before;
            active[nactive++] = s;
            now_us += 1 + rnd(2 * P.step_us);
            break;  // one new session per packet time: sessions start spread out
        }
        if (nactive == 0) break;
        int i = (int)rnd((uint32_t)nactive);
        session_t *s = active[i];
        uint64_t before = bytes_written;
        int more = step(s);
        (s->is_ftp ? &ftp_bytes : &bg_bytes)[0] += bytes_written - before;
        if (!more) { free_session(s); active[i] = active[--nactive]; }
        now_us += 1 + rnd(2 * P.step_us);
    }
    oflush();
    fclose(out);
    fprintf(truth, "\n], \"packets\": %llu, \"bytes\": %llu, \"ftp_bytes\": %llu, \"background_bytes\": %llu}\n",
            (unsigned long long)packets_written, (unsigned long long)bytes_written, (unsigned long long)ftp_bytes,
            (unsigned long long)bg_bytes);
    fclose(truth);
    fprintf(stderr, "ftpgen %s: %llu packets, %llu bytes, %d FTP sessions, %llu background flows\n", P.name,
            (unsigned long long)packets_written, (unsigned long long)bytes_written, truth_sessions,
            (unsigned long long)bg_serial);
    return 0;
}
