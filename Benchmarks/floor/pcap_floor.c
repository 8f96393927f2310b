// pcap_floor — the floor for the ftpscope benchmark: read every packet with libpcap and do nothing else.
//   cc -O2 -o pcap_floor pcap_floor.c -lpcap
//   pcap_floor FILE...   → prints "packets bytes touched" (captured bytes) on standard output
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdint.h>

int main(int argc, char **argv) {
    char err[PCAP_ERRBUF_SIZE];
    uint64_t packets = 0, bytes = 0, sum = 0;
    if (argc < 2) { fprintf(stderr, "usage: pcap_floor FILE...\n"); return 64; }
    for (int i = 1; i < argc; i++) {
        pcap_t *p = pcap_open_offline(argv[i], err);
        if (!p) { fprintf(stderr, "pcap_floor: %s: %s\n", argv[i], err); return 1; }
        struct pcap_pkthdr *h;
        const u_char *data;
        int rc;
        while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
            packets++;
            bytes += h->caplen;
            sum += data[h->caplen ? h->caplen - 1 : 0];  // touch the packet so the read isn't optimised away
        }
        if (rc == PCAP_ERROR) fprintf(stderr, "pcap_floor: %s: %s\n", argv[i], pcap_geterr(p));
        pcap_close(p);
    }
    // the third number (a sum of last bytes) keeps the reads from being optimised away
    printf("%llu %llu %llu\n", (unsigned long long)packets, (unsigned long long)bytes, (unsigned long long)(sum & 0xffff));
    return 0;
}
