#ifndef FTPSCOPE_CPCAP_SHIM_H
#define FTPSCOPE_CPCAP_SHIM_H
#include <pcap/pcap.h>
#endif
